from __future__ import annotations

import uuid

from django.http import HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from audit import selectors
from medtrack.types import AuthenticatedHttpRequest
from patients.access import Area, patient_view
from patients.models import Patient

AREA_CHOICES = [
    ("", _("Everything")),
    ("patient", _("Profile")),
    ("caregivers", _("Care team")),
    ("medications", _("Medications")),
    ("doses", _("Doses")),
    ("measurements", _("Vital signs")),
    ("logs", _("Journal")),
    ("appointments", _("Appointments")),
    ("files", _("Documents and photos")),
    ("access", _("Views and exports")),
]


def _uuid(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


@patient_view(Area.ACTIVITY)
@require_GET
def activity(request: AuthenticatedHttpRequest, patient: Patient) -> HttpResponse:
    person = request.GET.get("person", "")
    area = request.GET.get("area", "")
    if area not in dict(AREA_CHOICES):
        area = ""
    page = selectors.activity_page(
        patient,
        cursor=request.GET.get("before") or None,
        actor_id=_uuid(person) if person else None,
        area=area or None,
    )
    context = {
        "patient": patient,
        "page": page,
        "people": selectors.people_in_activity(patient),
        "areas": AREA_CHOICES,
        "person": person,
        "area": area,
    }
    return render(request, "audit/activity.html", context)
