"""Per-patient analytics: adherence week by week, when doses are missed,
as-needed use, vital signs beside medication changes. Each panel is one query
over the source tables (DESIGN.md §B.11: no summary tables until the benchmark
asks for one); weeks and hours are the patient's own (Monday to Sunday, in
their zone, DST weeks included)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from django.apps import apps
from django.db.models import Count, F, Q, Window
from django.db.models.functions import ExtractHour, Lag, Trunc
from django.utils.formats import date_format
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from doses.models import Dose, DoseStatus
from doses.services import late_after
from journal.selectors import trends as journal_trends
from measurements import charts, trends
from measurements.kinds import KINDS, Type
from measurements.models import MeasurementThreshold
from measurements.selectors import points as reading_points
from medications.recurrence import start_of_day
from patients.models import Patient

WEEKS = 12
#: The vital sign the analytics page opens on, and how far back the trends go.
DEFAULT_VITAL = Type.BLOOD_PRESSURE
TREND_DAYS = 90


@dataclass
class Week:
    start: dt.date
    taken: int = 0
    late: int = 0
    skipped: int = 0
    missed: int = 0

    @property
    def counted(self) -> int:
        return self.taken + self.late + self.skipped + self.missed

    @property
    def percent(self) -> int | None:
        """Adherence: taken (late included) ÷ (taken + skipped + missed)."""
        return round(100 * (self.taken + self.late) / self.counted) if self.counted else None

    def add(self, other: Week) -> None:
        self.taken += other.taken
        self.late += other.late
        self.skipped += other.skipped
        self.missed += other.missed


@dataclass
class Adherence:
    weeks: list[dt.date]
    overall: dict[dt.date, Week]
    medications: dict[str, dict[dt.date, Week]] = field(default_factory=dict)

    def total(self, by_week: dict[dt.date, Week]) -> Week:
        found = Week(self.weeks[0])
        for week in by_week.values():
            found.add(week)
        return found


def week_start(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def weeks_until(now: dt.datetime, zone: ZoneInfo, count: int = WEEKS) -> list[dt.date]:
    """The Mondays of the last ``count`` weeks, this one included, oldest first."""
    this_week = week_start(now.astimezone(zone).date())
    return [this_week - dt.timedelta(weeks=n) for n in range(count - 1, -1, -1)]


def adherence(patient: Patient, now: dt.datetime, count: int = WEEKS) -> Adherence:
    """Taken on time, taken late, skipped and missed, by the patient's week and
    medication, over doses whose time has passed (as-needed ones left out)."""
    zone = patient.zone
    weeks = weeks_until(now, zone, count)
    late = Q(status=DoseStatus.TAKEN, taken_at__gt=F("scheduled_for") + late_after())
    rows = (
        Dose.objects.filter(
            patient=patient,
            schedule__isnull=False,
            scheduled_for__gte=start_of_day(weeks[0], zone),
            scheduled_for__lt=now,
        )
        .annotate(week=Trunc("scheduled_for", "week", tzinfo=zone))
        .values("week", "medication_id", "medication__name")
        .annotate(
            taken=Count("pk", filter=Q(status=DoseStatus.TAKEN) & ~late),
            late=Count("pk", filter=late),
            skipped=Count("pk", filter=Q(status=DoseStatus.SKIPPED)),
            missed=Count("pk", filter=Q(status=DoseStatus.MISSED)),
        )
        .order_by("medication__name", "medication_id", "week")
    )
    result = Adherence(weeks, {week: Week(week) for week in weeks})
    names = _distinct_names(rows)
    for row in rows:
        start = row["week"].astimezone(zone).date()
        week = Week(start, row["taken"], row["late"], row["skipped"], row["missed"])
        name = names[row["medication_id"]]
        result.medications.setdefault(name, {w: Week(w) for w in weeks}).setdefault(
            start, Week(start)
        ).add(week)
        result.overall.setdefault(start, Week(start)).add(week)
    return result


def _distinct_names(rows: object) -> dict[object, str]:
    """Each medication's name, told apart when two share one ("Metformin (2)")."""
    seen: dict[str, list[object]] = defaultdict(list)
    for row in rows:  # type: ignore[attr-defined]
        if row["medication_id"] not in seen[row["medication__name"]]:
            seen[row["medication__name"]].append(row["medication_id"])
    return {
        pk: name if len(ids) == 1 else f"{name} ({number})"
        for name, ids in seen.items()
        for number, pk in enumerate(ids, start=1)
    }


def adherence_chart(result: Adherence, zone: ZoneInfo) -> SafeString:
    """Weekly adherence, as a line, with its text alternative."""
    points = [
        (dt.datetime.combine(week, dt.time(12), zone) + dt.timedelta(days=3), float(value))
        for week, value in ((w, result.overall[w].percent) for w in result.weeks)
        if value is not None
    ]
    counted = [result.overall[w] for w in result.weeks if result.overall[w].counted]
    description = (
        _("Lowest week %(low)s%%, highest %(high)s%%, over %(weeks)s weeks with doses.")
        % {
            "low": min(w.percent or 0 for w in counted),
            "high": max(w.percent or 0 for w in counted),
            "weeks": len(counted),
        }
        if counted
        else _("No doses in these weeks.")
    )
    return charts.line_chart(
        series=[charts.Series(_("Adherence"), points)],
        start=start_of_day(result.weeks[0], zone),
        end=start_of_day(result.weeks[-1] + dt.timedelta(days=7), zone),
        title=_("Adherence by week, last %(weeks)s weeks") % {"weeks": len(result.weeks)},
        description=description,
        zone=zone,
        y_min=0,
        y_max=100,
        unit="%",
        height=200,
    )


def missed_hours(patient: Patient, now: dt.datetime, count: int = WEEKS) -> list[tuple[int, int]]:
    """(hour of the patient's day, doses missed then), most missed first."""
    zone = patient.zone
    since = start_of_day(weeks_until(now, zone, count)[0], zone)
    rows = (
        Dose.objects.filter(patient=patient, status=DoseStatus.MISSED, scheduled_for__gte=since)
        .annotate(hour=ExtractHour("scheduled_for", tzinfo=zone))
        .values("hour")
        .annotate(count=Count("pk"))
        .order_by("-count", "hour")[:3]
    )
    return [(row["hour"], row["count"]) for row in rows]


def as_needed_use(
    patient: Patient, now: dt.datetime, count: int = WEEKS
) -> tuple[list[dt.date], dict[str, dict[dt.date, int]]]:
    """As-needed doses given, by medication and the patient's week."""
    zone = patient.zone
    weeks = weeks_until(now, zone, count)
    rows = (
        Dose.objects.filter(
            patient=patient,
            scheduled_for__isnull=True,  # as-needed (the partial index's condition)
            status=DoseStatus.TAKEN,
            taken_at__gte=start_of_day(weeks[0], zone),
            taken_at__lte=now,
        )
        .annotate(week=Trunc("taken_at", "week", tzinfo=zone))
        .values("week", "medication__name")
        .annotate(count=Count("pk"))
        .order_by("medication__name", "week")
    )
    found: dict[str, dict[dt.date, int]] = defaultdict(lambda: dict.fromkeys(weeks, 0))
    for row in rows:
        found[row["medication__name"]][row["week"].astimezone(zone).date()] = row["count"]
    return weeks, dict(found)


@dataclass(frozen=True)
class Change:
    at: dt.datetime
    text: str


def medication_changes(patient: Patient, since: dt.datetime, until: dt.datetime) -> list[Change]:
    """Started (on its start date), paused, stopped or resumed (on the day it says),
    and dose changes (when saved): the markers on the vital-sign chart. One query
    over the medications' own history that returns only the changes (each row is
    compared with the one before it in SQL: stock updates, one per dose given, stay
    in the database)."""
    history = apps.get_model("medications", "MedicationEvent")

    def earlier(column: str) -> Window:
        """The column's value in the same medication's previous history row."""
        return Window(Lag(column), partition_by=[F("pgh_obj_id")], order_by=F("pgh_id").asc())

    events = (
        history.objects.filter(patient_id=patient.pk)
        .annotate(
            status_before=earlier("status"),
            amount_before=earlier("dose_amount"),
        )
        .filter(
            Q(pgh_label="insert")
            | (Q(pgh_label="update") & ~Q(status=F("status_before")))
            | (Q(pgh_label="update") & ~Q(dose_amount=F("amount_before")))
        )
        .order_by("pgh_obj_id", "pgh_id")
        .values_list(
            "pgh_label",
            "updated_at",
            "start_date",
            "status_changed_on",
            "name",
            "status",
            "status_before",
        )
    )
    zone = patient.zone
    verbs = {
        "active": gettext_lazy("%(name)s resumed"),
        "paused": gettext_lazy("%(name)s paused"),
        "discontinued": gettext_lazy("%(name)s stopped"),
    }
    changes = []
    for label, saved, start_date, changed_on, name, status, status_before in events:
        if label == "insert":
            at, text = start_of_day(start_date, zone), _("%(name)s started")
        elif status != status_before:
            at = start_of_day(changed_on, zone) if changed_on else saved
            text = str(verbs.get(status, gettext_lazy("%(name)s changed")))
        else:
            at, text = saved, _("%(name)s: new dose")
        if since <= at <= until:
            changes.append(Change(at, text % {"name": name}))
    return sorted(changes, key=lambda change: change.at)


def describe_changes(changes: list[Change], zone: ZoneInfo) -> str:
    if not changes:
        return _("No medication changes in this period.")
    return ngettext(
        "Medication change: %(list)s.", "Medication changes: %(list)s.", len(changes)
    ) % {
        "list": "; ".join(
            f"{date_format(change.at.astimezone(zone), 'j M')} {change.text}" for change in changes
        )
    }


# -- The page's panels --------------------------------------------------------------


def doses_panel(patient: Patient, now: dt.datetime) -> dict[str, object]:
    """Adherence by week (chart and table), missed hours and as-needed use."""
    result = adherence(patient, now)
    weeks, use = as_needed_use(patient, now)
    return {
        "adherence": result,
        "adherence_chart": adherence_chart(result, patient.zone),
        "overall_total": result.total(result.overall),
        "per_medication": [
            (name, [by_week[w] for w in result.weeks], result.total(by_week))
            for name, by_week in result.medications.items()
        ],
        "overall_weeks": [result.overall[w] for w in result.weeks],
        "missed_hours": missed_hours(patient, now),
        "as_needed_weeks": weeks,
        "as_needed": [(name, [counts[w] for w in weeks]) for name, counts in use.items()],
    }


def vital_panel(
    patient: Patient,
    wanted: str,
    preferences: dict[str, str],
    now: dt.datetime,
    *,
    with_changes: bool,
) -> dict[str, object]:
    """One vital sign's trend (``wanted``, else blood pressure) in the reader's
    units, with the medication changes marked when they may see medications."""
    kind = (KINDS.get(wanted) if wanted != Type.OTHER else None) or KINDS[DEFAULT_VITAL]
    since = now - dt.timedelta(days=TREND_DAYS)
    unit = kind.unit_for(preferences)
    changes = medication_changes(patient, since, now) if with_changes else []
    chart = trends.chart(
        kind=kind,
        unit=unit,
        points=reading_points(patient, kind.type, since),
        threshold=MeasurementThreshold.objects.filter(patient=patient, type=kind.type).first(),
        since=since,
        until=now,
        zone=patient.zone,
        title=str(kind.label),
        symbol=str(unit.symbol),
        width=640,
        markers=[charts.Marker(change.at, change.text) for change in changes],
    )
    return {
        "vital": kind,
        "vital_chart": chart,
        "vital_kinds": [k for k in KINDS.values() if k.type != Type.OTHER],
        "changes": changes,
        "changes_text": describe_changes(changes, patient.zone),
    }


def journal_panel(patient: Patient, now: dt.datetime) -> dict[str, object]:
    return dict(journal_trends(patient, patient.today(now), TREND_DAYS, patient.zone))
