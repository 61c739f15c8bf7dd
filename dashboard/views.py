from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from dashboard import analytics, selectors
from medtrack.types import AuthenticatedHttpRequest
from notifications.models import Notification
from patients.access import Area, Level, can, patient_view
from patients.models import Patient

FLOOR_ROWS = 12


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
    logged-in page on the same stack, in TechEmpower's "fortunes" shape: the login
    check, session and user, one small query (the titles of the user's latest
    notifications, at most 12, which the inbox shows them anyway) and a small
    template that escapes each row. Pages are reported as a ratio to it."""
    titles = Notification.objects.filter(user=request.user).order_by("-created_at")
    context = {"titles": titles.values_list("title", flat=True)[:FLOOR_ROWS]}
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
