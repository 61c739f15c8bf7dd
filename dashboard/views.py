from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from dashboard import analytics, selectors
from medtrack.types import AuthenticatedHttpRequest
from notifications.services import unread_count
from patients.access import Area, Level, can, patient_view
from patients.models import Patient


@require_GET
def home(request: AuthenticatedHttpRequest) -> HttpResponse:
    """What to do now, for every patient I care for: doses due, today's progress,
    what needs attention, what is coming up (a fixed number of queries)."""
    board = selectors.dashboard(request.user, timezone.now())
    context = {"board": board, "unread_notifications": board.unread_count}
    return render(request, "dashboard/home.html", context)


@require_GET
def floor(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The benchmark's floor (``make bench``, docs/performance.md): the cheapest
    logged-in page on the same stack (session, user, one small query, a small
    template; TechEmpower's "fortunes" shape). Pages are reported as a ratio to it.
    Harmless to serve: the user's own unread count, which every page shows."""
    context = {"unread_count": unread_count(request.user)}
    return render(request, "dashboard/floor.html", context)


@patient_view(Area.PATIENT, page="analytics")
@require_GET
def patient_analytics(request: AuthenticatedHttpRequest, patient: Patient) -> HttpResponse:
    """Adherence by week, missed times, as-needed use, a vital sign beside the
    medication changes, journal trends: each part for members who may see it."""
    now = timezone.now()
    context: dict[str, object] = {"patient": patient}
    if can(patient, Area.DOSES, Level.READ):
        context.update(analytics.doses_panel(patient, now))
    if can(patient, Area.MEASUREMENTS, Level.READ):
        context.update(
            analytics.vital_panel(
                patient,
                request.GET.get("type", ""),
                request.user.unit_preferences,
                now,
                with_changes=can(patient, Area.MEDICATIONS, Level.READ),
            )
        )
    if can(patient, Area.LOGS, Level.READ):
        context["journal"] = analytics.journal_panel(patient, now)
    return render(request, "dashboard/analytics.html", context)
