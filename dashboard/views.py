from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from medtrack.types import AuthenticatedHttpRequest
from patients import selectors


@require_GET
def home(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The caregiver's start page. It grows panels as the care sections arrive."""
    patients = selectors.patients_for_user(request.user)
    return render(request, "dashboard/home.html", {"patients": patients})
