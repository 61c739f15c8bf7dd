"""A patient's timeline: day by day, newest first, what was written, measured and given.

A page is a window of days ending at ``until`` (the patient's calendar). Each
source answers two index-backed queries per page, whatever the history: its
items in the window, and the newest item before it (the next page starts on
that day, so empty weeks are skipped).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from django.db.models import Q
from django.db.models.functions import Coalesce
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
    """One kind of thing on the timeline, read in two queries per page."""

    kind: str
    label: StrOrPromise
    area: Area

    def items(self, window: Window) -> list[Item]:
        raise NotImplementedError

    def newest_before(self, window: Window) -> dt.date | None:
        raise NotImplementedError


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

    def newest_before(self, window: Window) -> dt.date | None:
        return (
            DailyLog.objects.filter(patient=window.patient, log_date__lt=window.first)
            .order_by("-log_date")
            .values_list("log_date", flat=True)
            .first()
        )


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

    def newest_before(self, window: Window) -> dt.date | None:
        at = (
            Measurement.objects.filter(patient=window.patient, measured_at__lt=window.start)
            .order_by("-measured_at")
            .values_list("measured_at", flat=True)
            .first()
        )
        return at.astimezone(window.zone).date() if at else None


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

    def newest_before(self, window: Window) -> dt.date | None:
        # Scheduled and as-needed doses each walk their own index backwards.
        recorded = Dose.objects.filter(patient=window.patient).exclude(status=DoseStatus.PENDING)
        scheduled = (
            recorded.filter(scheduled_for__lt=window.start)
            .order_by("-scheduled_for")
            .values_list("scheduled_for", flat=True)[:1]
        )
        as_needed = (
            recorded.filter(scheduled_for__isnull=True, taken_at__lt=window.start)
            .order_by("-taken_at")
            .values_list("taken_at", flat=True)[:1]
        )
        found = [at for at in scheduled.union(as_needed, all=True) if at is not None]
        return max(found).astimezone(window.zone).date() if found else None


class Appointments(Source):
    kind, label, area = "appointments", _("Appointments"), Area.APPOINTMENTS

    def items(self, window: Window) -> list[Item]:
        found = Appointment.objects.filter(
            patient=window.patient, starts_at__gte=window.start, starts_at__lt=window.end
        ).order_by("-starts_at")
        return [Item(self.kind, appointment.starts_at, appointment) for appointment in found]

    def newest_before(self, window: Window) -> dt.date | None:
        at = (
            Appointment.objects.filter(patient=window.patient, starts_at__lt=window.start)
            .order_by("-starts_at")
            .values_list("starts_at", flat=True)
            .first()
        )
        return at.astimezone(window.zone).date() if at else None


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
    older: list[dt.date] = []
    for source in sources:
        for item in source.items(window):
            day = item.obj.log_date if item.at is None else item.at.astimezone(zone).date()
            by_day.setdefault(day, Day(day)).items.append(item)
        if (before := source.newest_before(window)) is not None:
            older.append(before)
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
