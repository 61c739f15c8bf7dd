"""A patient's timeline: day by day, newest first, what was written, measured and given.

A page is a window of days ending at ``until`` (the patient's calendar). Each
source answers an index-backed query per page, whatever the history: its items
in the window; one more query, a union of every source's probe, finds the newest
item before the window (the next page starts on that day, so empty weeks are
skipped).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from django.db.models import DateTimeField, F, Q, QuerySet, Value
from django.db.models.functions import Cast, Coalesce
from django.utils.translation import gettext_lazy as _

from appointments.models import Appointment
from doses.models import Dose, DoseStatus
from journal.models import DailyLog
from measurements import selectors as readings
from measurements.models import Measurement
from medications.recurrence import start_of_day
from patients.access import Area
from patients.models import Patient

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

DAYS_PER_PAGE = 7


@dataclass
class Item:
    kind: str
    at: dt.datetime | None  # None: about the whole day (a journal entry)
    obj: Any


@dataclass
class Day:
    date: dt.date
    items: list[Item] = field(default_factory=list)


@dataclass
class Page:
    days: list[Day]
    first: dt.date
    last: dt.date
    #: The newest earlier day with something on it (``?until=``), or None.
    older: dt.date | None


@dataclass
class Window:
    patient: Patient
    zone: ZoneInfo
    first: dt.date
    last: dt.date
    preferences: Mapping[str, str]

    @property
    def start(self) -> dt.datetime:
        return start_of_day(self.first, self.zone)

    @property
    def end(self) -> dt.datetime:
        return start_of_day(self.last + dt.timedelta(days=1), self.zone)


class Source:
    """One kind of thing on the timeline: its items in the window (a query each),
    and probes for its newest item before the window, which ``page`` sends in a
    single union with every other source's."""

    kind: str
    label: StrOrPromise
    area: Area

    def items(self, window: Window) -> list[Item]:
        raise NotImplementedError

    def before(self, window: Window) -> list[QuerySet[Any]]:
        """Querysets of at most one row ``(kind, at)``, ``at`` a timestamp."""
        raise NotImplementedError

    def day_of(self, at: dt.datetime, window: Window) -> dt.date:
        return at.astimezone(window.zone).date()

    def _newest(self, rows: QuerySet[Any], column: str, expression: Any = None) -> QuerySet[Any]:
        return (
            rows.annotate(timeline_kind=Value(self.kind), timeline_at=expression or F(column))
            .order_by(f"-{column}")
            .values_list("timeline_kind", "timeline_at")[:1]
        )


class Journal(Source):
    kind, label, area = "journal", _("Journal"), Area.LOGS

    def items(self, window: Window) -> list[Item]:
        entries = (
            DailyLog.objects.filter(
                patient=window.patient, log_date__range=(window.first, window.last)
            )
            .select_related("created_by")
            .order_by("created_at")
        )
        return [Item(self.kind, None, entry) for entry in entries]

    def before(self, window: Window) -> list[QuerySet[Any]]:
        earlier = DailyLog.objects.filter(patient=window.patient, log_date__lt=window.first)
        # A date as midnight UTC, to share the union's column; ``day_of`` undoes it.
        return [self._newest(earlier, "log_date", Cast("log_date", DateTimeField()))]

    def day_of(self, at: dt.datetime, window: Window) -> dt.date:
        return at.astimezone(dt.UTC).date()


class Readings(Source):
    kind, label, area = "measurements", _("Vital signs"), Area.MEASUREMENTS

    def items(self, window: Window) -> list[Item]:
        found = Measurement.objects.filter(
            patient=window.patient, measured_at__gte=window.start, measured_at__lt=window.end
        ).order_by("-measured_at")
        return [
            Item(self.kind, entry.reading.measured_at, entry)
            for entry in readings.shown(list(found), window.preferences)
        ]

    def before(self, window: Window) -> list[QuerySet[Any]]:
        earlier = Measurement.objects.filter(patient=window.patient, measured_at__lt=window.start)
        return [self._newest(earlier, "measured_at")]


class Doses(Source):
    """Doses given, skipped or missed (pending ones are the Today page's)."""

    kind, label, area = "doses", _("Doses"), Area.DOSES

    def _recorded(self, window: Window) -> Any:
        return (
            Dose.objects.filter(patient=window.patient)
            .exclude(status=DoseStatus.PENDING)
            .annotate(at=Coalesce("scheduled_for", "taken_at"))
        )

    def items(self, window: Window) -> list[Item]:
        in_window = Q(scheduled_for__gte=window.start, scheduled_for__lt=window.end) | Q(
            scheduled_for__isnull=True, taken_at__gte=window.start, taken_at__lt=window.end
        )
        found = (
            self._recorded(window)
            .filter(in_window)
            .select_related("medication", "recorded_by")
            .order_by("-at")
        )
        return [Item(self.kind, dose.at, dose) for dose in found]

    def before(self, window: Window) -> list[QuerySet[Any]]:
        # Scheduled and as-needed doses each walk their own index backwards.
        recorded = Dose.objects.filter(patient=window.patient).exclude(status=DoseStatus.PENDING)
        scheduled = recorded.filter(scheduled_for__lt=window.start)
        as_needed = recorded.filter(scheduled_for__isnull=True, taken_at__lt=window.start)
        return [self._newest(scheduled, "scheduled_for"), self._newest(as_needed, "taken_at")]


class Appointments(Source):
    kind, label, area = "appointments", _("Appointments"), Area.APPOINTMENTS

    def items(self, window: Window) -> list[Item]:
        found = Appointment.objects.filter(
            patient=window.patient, starts_at__gte=window.start, starts_at__lt=window.end
        ).order_by("-starts_at")
        return [Item(self.kind, appointment.starts_at, appointment) for appointment in found]

    def before(self, window: Window) -> list[QuerySet[Any]]:
        earlier = Appointment.objects.filter(patient=window.patient, starts_at__lt=window.start)
        return [self._newest(earlier, "starts_at")]


SOURCES: list[Source] = [Journal(), Readings(), Doses(), Appointments()]


def page(
    patient: Patient,
    *,
    until: dt.date,
    sources: Sequence[Source],
    preferences: Mapping[str, str],
    days: int = DAYS_PER_PAGE,
) -> Page:
    zone = patient.zone
    window = Window(patient, zone, until - dt.timedelta(days=days - 1), until, preferences)
    by_day: dict[dt.date, Day] = {}
    for source in sources:
        for item in source.items(window):
            day = item.obj.log_date if item.at is None else item.at.astimezone(zone).date()
            by_day.setdefault(day, Day(day)).items.append(item)
    older = _newest_before(window, sources)
    for day in by_day.values():
        # The journal first, then the day's events, newest first.
        day.items.sort(
            key=lambda item: (item.at is not None, -(item.at or window.start).timestamp())
        )
    return Page(
        days=sorted(by_day.values(), key=lambda d: d.date, reverse=True),
        first=window.first,
        last=window.last,
        older=max(older) if older else None,
    )


def _newest_before(window: Window, sources: Sequence[Source]) -> list[dt.date]:
    """Each source's newest day before the window, in one query (a union of probes)."""
    kinds = {source.kind: source for source in sources}
    probes = [probe for source in sources for probe in source.before(window)]
    if not probes:
        return []
    first, *rest = probes
    rows = first.union(*rest, all=True).order_by() if rest else first
    return [kinds[kind].day_of(at, window) for kind, at in rows if at is not None]
