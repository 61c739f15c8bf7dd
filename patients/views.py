from __future__ import annotations

import uuid

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from medtrack.db import AlreadyCreated, EditConflict
from medtrack.forms import after_conflict
from medtrack.types import AuthenticatedHttpRequest
from patients import selectors, services
from patients.access import Area, Level, can, patient_view
from patients.forms import PatientForm, initial_from
from patients.models import Patient, retention


@require_GET
def patient_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    patients = selectors.patients_for_user(request.user)
    has_deleted = selectors.restorable_patients_for_user(request.user, timezone.now()).exists()
    return render(
        request, "patients/list.html", {"patients": patients, "has_deleted": has_deleted}
    )


@require_http_methods(["GET", "POST"])
def patient_create(request: AuthenticatedHttpRequest) -> HttpResponse:
    initial = {"timezone": request.user.settings.timezone, "form_token": uuid.uuid4()}
    form = PatientForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            patient = services.patient_create(
                actor=request.user, form_token=form.cleaned_data["form_token"], **form.profile
            )
        except AlreadyCreated as done:
            messages.info(request, _("This patient was already saved."))
            return redirect("patients:detail", patient_id=done.record_id)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(
                request,
                _("%(name)s was added. You are their primary caregiver.") % {"name": patient.name},
            )
            return redirect("patients:detail", patient_id=patient.pk)
    return render(request, "patients/form.html", {"form": form, "creating": True})


def _care_summary(patient: Patient, request: AuthenticatedHttpRequest) -> dict[str, object]:
    """Adherence, refills and the latest readings, for members who may see them."""
    from doses import selectors as doses
    from measurements import selectors as readings

    summary: dict[str, object] = {}
    if can(patient, Area.APPOINTMENTS, Level.READ):
        from appointments import selectors as appointments

        summary["next_appointment"] = appointments.next_for(patient, timezone.now())
        summary["can_see_appointments"] = True
        summary["can_write_appointments"] = can(patient, Area.APPOINTMENTS, Level.WRITE)
    if can(patient, Area.MEASUREMENTS, Level.READ):
        summary["latest"] = readings.shown(readings.latest(patient), request.user.unit_preferences)
        summary["can_see_readings"] = True
        summary["can_write_readings"] = can(patient, Area.MEASUREMENTS, Level.WRITE)
    summary["can_see_files"] = can(patient, Area.FILES, Level.READ)
    summary["can_export"] = can(patient, Area.EXPORTS, Level.WRITE)
    if can(patient, Area.DOSES, Level.READ):
        summary["adherence"], summary["adherence_rows"] = doses.adherence(patient, timezone.now())
    if can(patient, Area.MEDICATIONS, Level.READ):
        summary["refills"] = doses.needing_refill([patient.pk])
    return summary


@patient_view(Area.PATIENT)
@require_GET
def patient_detail(request: AuthenticatedHttpRequest, patient: Patient) -> HttpResponse:
    context = {
        "patient": patient,
        "team": selectors.patient_team(patient)
        if can(patient, Area.CAREGIVERS, Level.READ)
        else [],
        "can_see_doses": can(patient, Area.DOSES, Level.READ),
        "can_see_medications": can(patient, Area.MEDICATIONS, Level.READ),
        "can_edit": can(patient, Area.PATIENT, Level.WRITE),
        "can_delete": can(patient, Area.PATIENT, Level.MANAGE),
        "can_see_activity": can(patient, Area.ACTIVITY, Level.READ),
        "can_see_journal": can(patient, Area.LOGS, Level.READ),
        "can_write_journal": can(patient, Area.LOGS, Level.WRITE),
        **_care_summary(patient, request),
    }
    return render(request, "patients/detail.html", context)


@patient_view(Area.PATIENT, Level.WRITE)
@require_http_methods(["GET", "POST"])
def patient_edit(request: AuthenticatedHttpRequest, patient: Patient) -> HttpResponse:
    form = PatientForm(request.POST or None, initial=initial_from(patient))
    latest = None
    if request.method == "POST" and form.is_valid():
        try:
            services.patient_update(
                patient=patient,
                actor=request.user,
                version=form.cleaned_data["version"],
                **form.profile,
            )
        except EditConflict:
            # Keep what was typed, show what is saved now, and let a second
            # save (against the new version) decide.
            latest = Patient.objects.get(pk=patient.pk)
            form = after_conflict(
                lambda data: PatientForm(data, initial=initial_from(latest)),
                request.POST,
                latest.updated_at,
                _(
                    "Someone else saved changes to this patient while you were editing. "
                    "Your changes are still below and what is saved now is shown above "
                    "them: check, then save again."
                ),
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Changes saved."))
            return redirect("patients:detail", patient_id=patient.pk)
    context = {"form": form, "patient": patient, "latest": latest, "creating": False}
    return render(request, "patients/form.html", context)


@patient_view(Area.PATIENT, Level.MANAGE)
@require_http_methods(["GET", "POST"])
def patient_delete(request: AuthenticatedHttpRequest, patient: Patient) -> HttpResponse:
    if request.method == "POST":
        services.patient_soft_delete(patient=patient, actor=request.user)
        messages.success(
            request,
            _(
                "%(name)s was deleted. You can restore them from “Recently deleted” "
                "for %(days)s days."
            )
            % {"name": patient.name, "days": retention().days},
        )
        return redirect("patients:list")
    return render(request, "patients/delete.html", {"patient": patient, "days": retention().days})


@require_GET
def patient_deleted_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    patients = selectors.restorable_patients_for_user(request.user, timezone.now())
    return render(request, "patients/deleted.html", {"patients": patients})


@patient_view(Area.PATIENT, Level.MANAGE, include_deleted=True)
@require_POST
def patient_restore(request: AuthenticatedHttpRequest, patient: Patient) -> HttpResponse:
    try:
        services.patient_restore(patient=patient, actor=request.user)
    except ValidationError as error:
        messages.error(request, error.messages[0])
        return redirect("patients:deleted")
    messages.success(request, _("%(name)s is back.") % {"name": patient.name})
    return redirect("patients:detail", patient_id=patient.pk)
