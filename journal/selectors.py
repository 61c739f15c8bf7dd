"""Reads for the journal: suggestions, the day's entries and the small trends."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.db import connection
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy, ngettext

from journal.models import DailyLog
from measurements import charts
from medications.recurrence import start_of_day
from patients.models import Patient

SUGGESTION_DAYS = 365
TREND_WINDOWS = (30, 90, 365)


def suggestions(patient: Patient, today: dt.date, limit: int = 40) -> dict[str, list[str]]:
    """Symptoms and activities used for this patient in the last year, most used first
    (one query, bounded by the year whatever the history)."""
    since = today - dt.timedelta(days=SUGGESTION_DAYS)
    branch = """(
        SELECT %s AS kind, item FROM (
            SELECT unnest({column}) AS item, log_date FROM daily_logs
            WHERE patient_id = %s AND log_date >= %s
        ) used
        GROUP BY item ORDER BY count(*) DESC, max(log_date) DESC, item LIMIT %s
    )"""
    found: dict[str, list[str]] = {"symptoms": [], "activities": []}
    with connection.cursor() as cursor:
        cursor.execute(
            " UNION ALL ".join(branch.format(column=column) for column in found),
            [value for column in found for value in (column, patient.pk, since, limit)],
        )
        for kind, item in cursor.fetchall():
            found[kind].append(item)
    return found


def day_entries(patient: Patient, day: dt.date) -> list[DailyLog]:
    return list(
        DailyLog.objects.filter(patient=patient, log_date=day)
        .select_related("created_by")
        .order_by("created_at")
    )


TRENDS = {
    "mood": (gettext_lazy("Mood"), 1, 5),
    "sleep_hours": (gettext_lazy("Hours slept"), 0, None),
    "pain_level": (gettext_lazy("Pain"), 0, 10),
}


@dataclass
class Trend:
    label: str
    chart: SafeString
    #: The chart as a table: (day, the day's value), newest first.
    days: list[tuple[dt.date, Decimal]]


def trends(patient: Patient, today: dt.date, days: int, zone: ZoneInfo) -> dict[str, Trend]:
    """Small charts of mood, sleep and pain by day (the day's average when several
    caregivers wrote), one query."""
    since = today - dt.timedelta(days=days - 1)
    rows = (
        DailyLog.objects.filter(patient=patient, log_date__gte=since)
        .order_by("log_date")
        .values_list("log_date", *TRENDS)
    )
    by_day: dict[str, dict[dt.date, list[Decimal]]] = {name: defaultdict(list) for name in TRENDS}
    for log_date, *values in rows:
        for name, value in zip(TRENDS, values, strict=True):
            if value is not None:
                by_day[name][log_date].append(Decimal(value))
    start = start_of_day(since, zone)
    end = start_of_day(today + dt.timedelta(days=1), zone)
    result = {}
    for name, (label, low, high) in TRENDS.items():
        averages: dict[dt.date, Decimal] = {
            day: round(sum(v, Decimal(0)) / len(v), 1) for day, v in by_day[name].items()
        }
        points = [
            (dt.datetime.combine(day, dt.time(12), zone), float(value))
            for day, value in averages.items()
        ]
        chart = charts.line_chart(
            series=[charts.Series(str(label), points)],
            start=start,
            end=end,
            title=ngettext("%(what)s, last %(days)s day", "%(what)s, last %(days)s days", days)
            % {"what": label, "days": days},
            description=ngettext(
                "%(count)s day with an entry.", "%(count)s days with an entry.", len(points)
            )
            % {"count": len(points)},
            zone=zone,
            width=320,
            height=110,
            compact=True,
            y_min=low,
            y_max=high,
        )
        result[name] = Trend(str(label), chart, sorted(averages.items(), reverse=True))
    return result
