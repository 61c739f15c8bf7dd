"""When a schedule's doses fall: pure functions, no database.

DESIGN.md "Rules", applied exactly:

1. Clock-time schedules (daily, chosen weekdays, every N days at HH:MM) are
   wall-clock times in the patient's zone, expanded with ``zoneinfo``.
2. A time that does not exist on a spring-forward day is moved forward by the
   gap (02:30 → 03:30): Python's ``fold=0`` reads it with the offset from
   before the transition, which is exactly that.
3. A time that occurs twice on a fall-back day is taken once, at its first
   occurrence (``fold=0`` again).
4. Two times that land on the same instant (02:30 and 03:30 on a
   spring-forward day) give one dose.
5. Every-N-hours schedules count real elapsed hours from the first dose
   (start date at the first time), so they shift on the wall clock across
   DST.
6. A schedule covers whole local days from ``start`` to ``end`` inclusive.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

DAILY = "daily"
WEEKLY = "weekly"
EVERY_N_DAYS = "every_n_days"
EVERY_N_HOURS = "every_n_hours"
#: More than this many doses in a day is refused as a typo.
MAX_DOSES_PER_DAY = 24

UTC = dt.UTC


@dataclass(frozen=True)
class Recurrence:
    frequency: str
    times: tuple[dt.time, ...]
    start: dt.date
    end: dt.date | None = None
    weekdays: frozenset[int] = field(default_factory=frozenset)  # ISO: Monday = 1
    interval: int = 1

    def falls_on(self, day: dt.date) -> bool:
        if day < self.start or (self.end is not None and day > self.end):
            return False
        if self.frequency == WEEKLY:
            return day.isoweekday() in self.weekdays
        if self.frequency == EVERY_N_DAYS:
            return (day - self.start).days % self.interval == 0
        return True


def local_instant(day: dt.date, time: dt.time, zone: ZoneInfo) -> dt.datetime:
    """The UTC instant of a wall-clock time, by rules 2 and 3."""
    return dt.datetime.combine(day, time.replace(fold=0), tzinfo=zone).astimezone(UTC)


def start_of_day(day: dt.date, zone: ZoneInfo) -> dt.datetime:
    return local_instant(day, dt.time(0), zone)


def occurrences(
    recurrence: Recurrence, zone: ZoneInfo, since: dt.datetime, until: dt.datetime
) -> list[dt.datetime]:
    """The doses' instants (UTC) in ``[since, until)``, sorted and unique."""
    if recurrence.frequency == EVERY_N_HOURS:
        found = set(_elapsed(recurrence, zone, since, until))
    else:
        found = set(_clock(recurrence, zone, since, until))
    return sorted(found)


def _clock(
    recurrence: Recurrence, zone: ZoneInfo, since: dt.datetime, until: dt.datetime
) -> Iterator[dt.datetime]:
    # A day more on each side covers any zone's offset from UTC.
    day = max(recurrence.start, since.astimezone(zone).date() - dt.timedelta(days=1))
    last = until.astimezone(zone).date() + dt.timedelta(days=1)
    if recurrence.end is not None:
        last = min(last, recurrence.end)
    while day <= last:
        if recurrence.falls_on(day):
            for time in recurrence.times:
                instant = local_instant(day, time, zone)
                if since <= instant < until:
                    yield instant
        day += dt.timedelta(days=1)


def _elapsed(
    recurrence: Recurrence, zone: ZoneInfo, since: dt.datetime, until: dt.datetime
) -> Iterator[dt.datetime]:
    step = dt.timedelta(hours=recurrence.interval)
    first = local_instant(recurrence.start, recurrence.times[0], zone)
    stop = until
    if recurrence.end is not None:
        stop = min(stop, start_of_day(recurrence.end + dt.timedelta(days=1), zone))
    # Jump to the first step at or after ``since`` instead of walking from the start.
    skipped = max(0, (since - first) // step)
    instant = first + skipped * step
    while instant < stop:
        if instant >= since:
            yield instant
        instant += step


def doses_per_day(frequency: str, times: int, interval: int) -> float:
    """The most doses a schedule gives in a day, for the sanity limit."""
    if frequency == EVERY_N_HOURS:
        return 24 / max(interval, 1)
    return times


def describe(recurrence: Recurrence) -> str:
    """ "08:00 and 20:00 every day", "Mon, Wed and Fri at 08:00", "every 8 hours from 06:00"."""
    from django.utils.formats import date_format, time_format
    from django.utils.text import get_text_list
    from django.utils.translation import gettext as _
    from django.utils.translation import ngettext, pgettext

    times = get_text_list([time_format(t, "H:i") for t in recurrence.times], _("and"))
    if recurrence.frequency == DAILY:
        return _("%(times)s every day") % {"times": times}
    if recurrence.frequency == WEEKLY:
        monday = dt.date(2024, 1, 1)
        names = [
            # Translators: a date format for a weekday in "Mon, Wed and Fri at 08:00".
            date_format(monday + dt.timedelta(days=d - 1), pgettext("weekday format", "D"))
            for d in sorted(recurrence.weekdays)
        ]
        return _("%(days)s at %(times)s") % {
            "days": get_text_list(names, _("and")),
            "times": times,
        }
    if recurrence.frequency == EVERY_N_DAYS and recurrence.interval == 1:
        return _("%(times)s every day") % {"times": times}
    if recurrence.frequency == EVERY_N_DAYS:
        return ngettext(
            "%(times)s every %(n)s day", "%(times)s every %(n)s days", recurrence.interval
        ) % {"times": times, "n": recurrence.interval}
    return ngettext(
        "every hour from %(time)s", "every %(n)s hours from %(time)s", recurrence.interval
    ) % {"n": recurrence.interval, "time": time_format(recurrence.times[0], "H:i")}


def schedule_problems(
    frequency: str | None,
    times: list[dt.time],
    weekdays: list[int],
    interval: int | None,
    start: dt.date | None,
    end: dt.date | None,
) -> dict[str, str]:
    """What a schedule needs for its frequency, by model field: the web form shows
    these on its fields, ``MedicationSchedule.clean`` holds every writer to them."""
    from django.utils.translation import gettext as _

    problems: dict[str, str] = {}
    if frequency and not times:
        problems["times_of_day"] = _("Add at least one time.")
    if frequency == WEEKLY and not weekdays:
        problems["days_of_week"] = _("Choose at least one day.")
    if weekdays and not set(weekdays) <= set(range(1, 8)):
        problems["days_of_week"] = _("Weekdays are 1 (Monday) to 7 (Sunday).")
    if frequency in (EVERY_N_DAYS, EVERY_N_HOURS) and not interval:
        problems["interval"] = _("Say every how many days or hours.")
    if interval is not None and interval < 1:
        problems["interval"] = _("Say every how many days or hours.")
    elif frequency == EVERY_N_DAYS and interval and interval > 365:
        problems["interval"] = _("That is more than a year.")
    if frequency == EVERY_N_HOURS and interval and interval >= 1:
        if interval > 168:
            problems["interval"] = _("That is more than a week; use “every few days”.")
        elif doses_per_day(frequency, len(times), interval) > MAX_DOSES_PER_DAY:
            problems["interval"] = _("That is more than %(max)s doses a day.") % {
                "max": MAX_DOSES_PER_DAY
            }
        if len(times) > 1:
            problems["times_of_day"] = _("Give only the time of the first dose.")
    elif len(times) > MAX_DOSES_PER_DAY:
        problems["times_of_day"] = _("That is more than %(max)s doses a day.") % {
            "max": MAX_DOSES_PER_DAY
        }
    if start and end and end < start:
        problems["end_date"] = _("The end date is before the start date.")
    return problems


def local_instant_sql(local: str, zone: str, name: str) -> tuple[str, str]:
    """SQL for a wall-clock time's instant by rules 2 and 3 above (``local_instant``):
    the lateral joins to add to FROM, and the expression. PostgreSQL reads a time
    in a spring-forward gap with the offset from before the transition, as
    Python's ``fold=0`` does, but a time that occurs twice as its second
    occurrence; the first is ``local`` minus the offset a day earlier, when that
    reads back as ``local``."""
    local = f"({local})"  # AT TIME ZONE binds tighter than + and -
    joins = (
        f"CROSS JOIN LATERAL (SELECT {local} AT TIME ZONE {zone} AS instant) {name}_late "
        f"CROSS JOIN LATERAL (SELECT ({local} - (({name}_late.instant - interval '1 day') "
        f"AT TIME ZONE {zone} - ({name}_late.instant - interval '1 day') AT TIME ZONE 'UTC')) "
        f"AT TIME ZONE 'UTC' AS instant) {name}_early"
    )
    expression = (
        f"CASE WHEN {name}_early.instant < {name}_late.instant "
        f"AND {name}_early.instant AT TIME ZONE {zone} = {local} "
        f"THEN {name}_early.instant ELSE {name}_late.instant END"
    )
    return joins, expression
