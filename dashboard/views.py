from __future__ import annotations

import datetime as dt

from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from dashboard import analytics, selectors
from journal.selectors import trends as journal_trends
from measurements import charts, trends
from measurements.kinds import KINDS, Type
from measurements.models import MeasurementThreshold
from measurements.selectors import points as reading_points
from medtrack.types import AuthenticatedHttpRequest
from patients.access import Area, Level, can, patient_view
from patients.models import Patient

#: The vital sign the analytics page opens on, when the patient has readings of it.
DEFAULT_VITAL = Type.BLOOD_PRESSURE
VITAL_DAYS = 90


@require_GET
def home(request: AuthenticatedHttpRequest) -> HttpResponse:
    """What to do now, for every patient I care for: doses due, today's progress,
    what needs attention, what is coming up (a fixed number of queries)."""
    board = selectors.dashboard(request.user, timezone.now())
    context = {"board": board, "unread_notifications": board.unread_count}
    return render(request, "dashboard/home.html", context)


@patient_view(Area.PATIENT, page="analytics")
@require_GET
def patient_analytics(request: AuthenticatedHttpRequest, patient: Patient) -> HttpResponse:
    """Adherence by week, missed times, as-needed use, a vital sign beside the
    medication changes, journal trends: each part for members who may see it."""
    now = timezone.now()
    zone = patient.zone
    context: dict[str, object] = {"patient": patient}
    if can(patient, Area.DOSES, Level.READ):
        result = analytics.adherence(patient, now)
        weeks, as_needed = analytics.as_needed_use(patient, now)
        context.update(
            adherence=result,
            adherence_chart=analytics.adherence_chart(result, zone),
            overall_total=result.total(result.overall),
            per_medication=[
                (name, [by_week[w] for w in result.weeks], result.total(by_week))
                for name, by_week in result.medications.items()
            ],
            overall_weeks=[result.overall[w] for w in result.weeks],
            missed_hours=analytics.missed_hours(patient, now),
            as_needed_weeks=weeks,
            as_needed=[(name, [counts[w] for w in weeks]) for name, counts in as_needed.items()],
        )
    if can(patient, Area.MEASUREMENTS, Level.READ):
        context.update(_vital(request, patient, now))
    if can(patient, Area.LOGS, Level.READ):
        context["journal"] = journal_trends(patient, patient.today(now), VITAL_DAYS, zone)
    return render(request, "dashboard/analytics.html", context)


def _vital(request: AuthenticatedHttpRequest, patient: Patient, now: dt.datetime) -> dict:
    wanted = request.GET.get("type", DEFAULT_VITAL)
    kind = KINDS.get(wanted) if wanted != Type.OTHER else None
    kind = kind or KINDS[DEFAULT_VITAL]
    since = now - dt.timedelta(days=VITAL_DAYS)
    unit = kind.unit_for(request.user.unit_preferences)
    changes = (
        analytics.medication_changes(patient, since, now)
        if can(patient, Area.MEDICATIONS, Level.READ)
        else []
    )
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
        "changes_text": analytics.describe_changes(changes, patient.zone),
    }
