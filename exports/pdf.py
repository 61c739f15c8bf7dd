"""The "since the last visit" report for the doctor: HTML rendered to PDF by
WeasyPrint, readable in black and white, with page numbers."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from decimal import Decimal
from typing import Any

from django.template.loader import render_to_string
from django.utils import timezone

from dashboard.analytics import Week, medication_changes
from doses.services import late_after
from exports.data import Record
from journal.selectors import TRENDS as JOURNAL_TRENDS
from measurements.kinds import KINDS, Type
from measurements.models import MeasurementThreshold
from measurements.selectors import Point, format_reading
from measurements.trends import chart as vital_chart
from medications.recurrence import start_of_day

#: Flagged readings listed in full; more are counted.
FLAGGED_LISTED = 15


def report_context(record: Record) -> dict[str, Any]:
    patient, zone = record.patient, record.zone
    now = timezone.now()
    since = start_of_day(record.date_from, zone)
    until = min(now, start_of_day(record.date_to + dt.timedelta(days=1), zone))
    schedules: dict[object, list[Any]] = defaultdict(list)
    for schedule in record.objects["medication_schedules"]:
        schedules[schedule.medication_id].append(schedule)
    today = patient.today(now)
    current = [
        (
            medication,
            [s for s in schedules.get(medication.pk, []) if not s.end_date or s.end_date >= today],
        )
        for medication in record.objects["medications"]
        if medication.status == "active"
    ]
    adherence: dict[str, Week] = {}
    as_needed: Counter[str] = Counter()
    for dose in record.objects["doses"]:
        name = dose.medication.name
        if dose.scheduled_for is None:
            if dose.status == "taken":
                as_needed[name] += 1
            continue
        if dose.scheduled_for >= now or dose.status == "pending":
            continue
        week = adherence.setdefault(name, Week(record.date_from))
        if dose.status == "taken":
            late = dose.taken_at and dose.taken_at - dose.scheduled_for > late_after()
            week.late += 1 if late else 0
            week.taken += 0 if late else 1
        elif dose.status == "skipped":
            week.skipped += 1
        else:
            week.missed += 1
    return {
        "record": record,
        "patient": patient,
        "generated": now.astimezone(zone),
        "current": current,
        "changes": medication_changes(patient, since, until)
        if "medications" not in record.omitted
        else [],
        "adherence": sorted(adherence.items()),
        "as_needed": sorted(as_needed.items()),
        "vitals": _vitals(record, since, until),
        "journal": _journal(record.objects["daily_logs"]),
        "notes": [log for log in record.objects["daily_logs"] if log.notes][-10:],
        "upcoming": [a for a in record.objects["appointments"] if a.starts_at >= now][:5],
    }


def _journal(logs: list[Any]) -> list[tuple[str, Decimal, int]]:
    """(what, the period's average, days with a value) for mood, sleep and pain."""
    found = []
    for name, (label, _low, _high) in JOURNAL_TRENDS.items():
        values = [Decimal(getattr(log, name)) for log in logs if getattr(log, name) is not None]
        if values:
            average = round(sum(values, Decimal(0)) / len(values), 1)
            found.append((str(label), average, len({log.log_date for log in logs})))
    return found


def _vitals(record: Record, since: dt.datetime, until: dt.datetime) -> list[dict[str, Any]]:
    by_type: dict[str, list[Any]] = defaultdict(list)
    for reading in record.objects["measurements"]:
        if reading.type != Type.OTHER:
            by_type[reading.type].append(reading)
    thresholds = {
        t.type: t
        for t in MeasurementThreshold.objects.filter(patient=record.patient, is_active=True)
    }
    sections = []
    for type_, readings in sorted(by_type.items(), key=lambda item: KINDS[item[0]].label):
        kind = KINDS[type_]
        unit = kind.unit_for(None)
        points = [
            Point(r.measured_at, Decimal(r.value), r.value_secondary, r.out_of_range)
            for r in readings
        ]
        flagged = [r for r in readings if r.out_of_range]
        sections.append(
            {
                "kind": kind,
                "count": len(readings),
                "chart": vital_chart(
                    kind=kind,
                    unit=unit,
                    points=points,
                    threshold=thresholds.get(type_),
                    since=since,
                    until=max(until, since + dt.timedelta(days=1)),
                    zone=record.zone,
                    title=kind.label,
                    symbol=str(unit.symbol),
                    width=640,
                    height=200,
                ),
                "flagged": [
                    (r.measured_at, format_reading(r, unit)) for r in flagged[-FLAGGED_LISTED:]
                ],
                "more_flagged": max(0, len(flagged) - FLAGGED_LISTED),
            }
        )
    return sections


def to_pdf(record: Record) -> bytes:
    from weasyprint import HTML

    html = render_to_string("exports/report.html", report_context(record))
    return HTML(string=html).write_pdf()
