"""Reads for the Today page."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connection
from django.utils.translation import gettext_lazy as _

from doses.models import Dose, DoseStatus
from doses.services import late_after
from medications.models import Medication, Status
from medications.recurrence import start_of_day
from medtrack import keyset
from patients.models import Patient

DUE_SOON = dt.timedelta(minutes=30)
LABELS = {
    "upcoming": _("Upcoming"),
    "due": _("Due now"),
    "overdue": _("Overdue"),
    "taken": _("Taken"),
    "late": _("Taken late"),
    "skipped": _("Skipped"),
    "missed": _("Missed"),
}


@dataclass
class Row:
    dose: Dose
    state: str

    @property
    def label(self) -> str:
        return str(LABELS[self.state])

    @property
    def recordable(self) -> bool:
        return self.state in ("upcoming", "due", "overdue", "missed")


def state_of(dose: Dose, now: dt.datetime) -> str:
    if dose.status == DoseStatus.TAKEN:
        late = (
            dose.scheduled_for
            and dose.taken_at
            and dose.taken_at - dose.scheduled_for > late_after()
        )
        return "late" if late else "taken"
    if dose.status in (DoseStatus.SKIPPED, DoseStatus.MISSED):
        return str(dose.status)
    if dose.scheduled_for is None:  # an as-needed dose not yet given: never shown as a row
        return "due"
    if dose.scheduled_for > now + DUE_SOON:
        return "upcoming"
    return "due" if dose.scheduled_for >= now - late_after() else "overdue"


@dataclass
class AsNeeded:
    medication: Medication
    given_today: list[dt.datetime]
    next_allowed: dt.datetime | None
    #: One-time token for this medication's "Give a dose now" form.
    token: uuid.UUID = field(default_factory=uuid.uuid4)


def as_needed(patient: Patient, now: dt.datetime) -> list[AsNeeded]:
    """Active as-needed medications, with today's doses and when the next is allowed
    (two queries whatever their number)."""
    from doses.services import prn_next_allowed

    medications = list(
        Medication.objects.filter(patient=patient, is_prn=True, status=Status.ACTIVE).order_by(
            "name"
        )
    )
    recent = Dose.objects.filter(
        medication__in=medications,
        schedule__isnull=True,
        status=DoseStatus.TAKEN,
        taken_at__gt=now - dt.timedelta(hours=24),
    ).values_list("medication_id", "taken_at")
    by_medication: dict[object, list[dt.datetime]] = {}
    for medication_id, taken_at in recent:
        if taken_at is not None:
            by_medication.setdefault(medication_id, []).append(taken_at)
    return [
        AsNeeded(
            m,
            sorted(by_medication.get(m.pk, [])),
            prn_next_allowed(m, now, by_medication.get(m.pk, []))[0],
        )
        for m in medications
    ]


#: The doses a row shows (``{% dose_row %}``, ``state_of``), with the columns it
#: needs of their medication and recorder. The dashboard and the Today page read
#: them with this statement rather than the ORM: its building, compiling and
#: making three model instances a row cost more than the database's work (issue 16).
ROWS = """
SELECT d.id, d.patient_id, d.medication_id, d.scheduled_for, d.status, d.taken_at, d.amount,
       d.recorded_by_id, d.skip_reason, m.name, m.strength, m.dose_unit, u.name
FROM doses d
JOIN medications m ON m.id = d.medication_id
LEFT JOIN users u ON u.id = d.recorded_by_id
WHERE {where}
ORDER BY d.scheduled_for, m.name, d.id
LIMIT %(limit)s
"""
_DOSE = (
    "id",
    "patient_id",
    "medication_id",
    "scheduled_for",
    "status",
    "taken_at",
    "amount",
    "recorded_by_id",
    "skip_reason",
)


def rows(
    where: str, params: dict[str, Any], now: dt.datetime, limit: int | None = None
) -> list[Row]:
    """The dose rows matching ``where`` (a constant condition on ``d``, its values in
    ``params``), in time order. Each dose comes as a model instance with only these
    columns loaded (``Model.from_db``, as the ORM makes them: any other column would
    be read on use, never guessed). No ``limit``: all of them."""
    from accounts.models import User

    with connection.cursor() as cursor:
        cursor.execute(ROWS.format(where=where), {**params, "limit": limit})  # NULL: no limit
        found = cursor.fetchall()
    result = []
    for values in found:
        dose = Dose.from_db(DEFAULT_DB_ALIAS, _DOSE, values[:9])
        name, strength, unit, recorder = values[9:]
        dose.medication = Medication.from_db(
            DEFAULT_DB_ALIAS,
            ("id", "name", "strength", "dose_unit"),
            (dose.medication_id, name, strength, unit),
        )
        dose.recorded_by = (
            User.from_db(DEFAULT_DB_ALIAS, ("id", "name"), (dose.recorded_by_id, recorder))
            if dose.recorded_by_id
            else None
        )
        result.append(Row(dose, state_of(dose, now)))
    return result


def today(patient: Patient, now: dt.datetime) -> tuple[dt.date, list[Row]]:
    """Every scheduled dose of the patient's local day, in time order (one query)."""
    zone, day = patient.zone, patient.today(now)
    where = (
        "d.patient_id = %(patient)s AND d.scheduled_for >= %(start)s AND d.scheduled_for < %(end)s"
    )
    params = {
        "patient": patient.pk,
        "start": start_of_day(day, zone),
        "end": start_of_day(day + dt.timedelta(days=1), zone),
    }
    return day, rows(where, params, now)


WINDOWS = (7, 30, 90)


@dataclass
class Adherence:
    """taken ÷ (taken + missed + skipped) over doses whose time has passed (DESIGN.md)."""

    taken: int = 0
    skipped: int = 0
    missed: int = 0

    @property
    def counted(self) -> int:
        return self.taken + self.skipped + self.missed

    @property
    def percent(self) -> int | None:
        return round(100 * self.taken / self.counted) if self.counted else None


@dataclass
class AdherenceRow:
    name: str
    windows: dict[int, Adherence]


def adherence(patient: Patient, now: dt.datetime) -> tuple[AdherenceRow, list[AdherenceRow]]:
    """Overall and per-medication adherence over 7, 30 and 90 days (one query).

    As-needed doses are left out; a skip is shown on its own as well as counted.
    """
    from django.db.models import Count, Q

    counts = {
        f"{status}{days}": Count(
            "pk", filter=Q(status=status, scheduled_for__gte=now - dt.timedelta(days=days))
        )
        for status in ("taken", "skipped", "missed")
        for days in WINDOWS
    }
    rows: Any = (
        Dose.objects.filter(
            patient=patient,
            schedule__isnull=False,
            scheduled_for__gte=now - dt.timedelta(days=max(WINDOWS)),
            scheduled_for__lt=now,
        )
        .values("medication_id", "medication__name")
        .annotate(**counts)
        .order_by("medication__name", "medication_id")
    )
    overall = AdherenceRow("", {days: Adherence() for days in WINDOWS})
    per_medication = []
    for row in rows:
        windows = {
            days: Adherence(row[f"taken{days}"], row[f"skipped{days}"], row[f"missed{days}"])
            for days in WINDOWS
        }
        per_medication.append(AdherenceRow(row["medication__name"], windows))
        for days, value in windows.items():
            total = overall.windows[days]
            total.taken += value.taken
            total.skipped += value.skipped
            total.missed += value.missed
    return overall, per_medication


def needing_refill(patient_ids: list[uuid.UUID]) -> Any:
    """Active medications at or below their refill level (the notifications issue uses
    this; the dashboard's ``CARDS`` statement asks the same in SQL)."""
    from django.db.models import F

    return Medication.objects.filter(
        patient_id__in=patient_ids,
        status=Status.ACTIVE,
        quantity_on_hand__isnull=False,
        refill_threshold__isnull=False,
        quantity_on_hand__lte=F("refill_threshold"),
    ).order_by("name")


HISTORY_PAGE = 50


@dataclass
class HistoryPage:
    doses: list[Any]  # Dose, annotated with ``at``
    next_cursor: str | None


def history(
    patient: Patient,
    *,
    medication_id: uuid.UUID | None = None,
    cursor: str | None = None,
    size: int = HISTORY_PAGE,
) -> HistoryPage:
    """Recorded doses, newest first, by keyset ("older than this"), so a page costs
    the same with a year of history or ten."""
    from django.db.models.functions import Coalesce

    doses = (
        Dose.objects.filter(patient=patient)
        .exclude(status=DoseStatus.PENDING)
        .annotate(at=Coalesce("scheduled_for", "taken_at"))
        .select_related("medication", "recorded_by")
    )
    if medication_id:
        doses = doses.filter(medication_id=medication_id)
    page = keyset.page(doses, field="at", cursor=cursor, size=size)
    zone = patient.zone
    for dose in page.items:
        dose.local_day = dose.at.astimezone(zone).date()  # type: ignore[attr-defined]  # the patient's day
    return HistoryPage(page.items, page.next_cursor)
