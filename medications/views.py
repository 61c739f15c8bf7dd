from __future__ import annotations

import uuid
from dataclasses import asdict

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from medications import selectors, services
from medications.forms import MedicationForm, ScheduleForm, StatusForm, TaperForm
from medications.models import Medication, MedicationSchedule, Status
from medtrack.db import AlreadyCreated
from medtrack.forms import add_service_error, after_conflict, newer_values
from medtrack.types import AuthenticatedHttpRequest
from patients.access import Area, Level, can, patient_view
from patients.models import Patient


def _medication(patient: Patient, medication_id: uuid.UUID) -> Medication:
    return get_object_or_404(Medication, pk=medication_id, patient=patient)


@patient_view(Area.MEDICATIONS)
@require_GET
def medication_list(request: AuthenticatedHttpRequest, patient: Patient) -> HttpResponse:
    groups = selectors.grouped(selectors.medications_for(patient))
    context = {
        "patient": patient,
        "groups": groups,
        "has_any": any(groups.values()),
        "can_write": can(patient, Area.MEDICATIONS, Level.WRITE),
    }
    return render(request, "medications/list.html", context)


@patient_view(Area.MEDICATIONS, Level.WRITE)
@require_http_methods(["GET", "POST"])
def medication_create(request: AuthenticatedHttpRequest, patient: Patient) -> HttpResponse:
    initial = {
        "start_date": timezone.localdate(),
        "dose_unit": _("tablet"),
        "form_token": uuid.uuid4(),
    }
    form = MedicationForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        fields = {name: v for name, v in form.cleaned_data.items() if name != "version"}
        try:
            medication = services.medication_create(patient=patient, actor=request.user, **fields)
        except AlreadyCreated as done:
            messages.info(request, _("This medication was already saved."))
            return redirect(
                "medications:detail", patient_id=patient.pk, medication_id=done.record_id
            )
        except ValidationError as error:
            form.add_error(None, error)
            return render(
                request,
                "medications/form.html",
                {"patient": patient, "form": form, "creating": True},
            )
        messages.success(request, _("%(name)s was added.") % {"name": medication.name})
        if medication.is_prn:
            return redirect(
                "medications:detail", patient_id=patient.pk, medication_id=medication.pk
            )
        return redirect(
            "medications:schedule_create", patient_id=patient.pk, medication_id=medication.pk
        )
    return render(
        request, "medications/form.html", {"patient": patient, "form": form, "creating": True}
    )


@patient_view(Area.MEDICATIONS)
@require_GET
def medication_detail(
    request: AuthenticatedHttpRequest, patient: Patient, medication_id: uuid.UUID
) -> HttpResponse:
    medication = _medication(patient, medication_id)
    zone = patient.zone
    context = {
        "patient": patient,
        "medication": medication,
        "schedules": medication.schedules.order_by("start_date"),
        "days": selectors.upcoming_days(medication, zone, timezone.now()),
        "can_write": can(patient, Area.MEDICATIONS, Level.WRITE),
        "statuses": Status,
    }
    return render(request, "medications/detail.html", context)


@patient_view(Area.MEDICATIONS, Level.WRITE)
@require_http_methods(["GET", "POST"])
def medication_edit(
    request: AuthenticatedHttpRequest, patient: Patient, medication_id: uuid.UUID
) -> HttpResponse:
    medication = _medication(patient, medication_id)
    form = MedicationForm(request.POST or None, instance=medication)
    if request.method == "POST" and form.is_valid():
        try:
            services.medication_update(
                patient=patient, actor=request.user, medication=medication, **form.cleaned_data
            )
        except services.EditConflict:
            latest = _medication(patient, medication_id)
            saved = {name: getattr(latest, name) for name in MedicationForm.Meta.fields}
            form = after_conflict(
                lambda data: MedicationForm(data, instance=latest),
                request.POST,
                latest.updated_at,
                _(
                    "Someone else changed this medication while you were editing. Saved "
                    "now: %(values)s. Your changes are still below: check, then save again."
                )
                % {"values": newer_values(form, saved)},
            )
        else:
            messages.success(request, _("Changes saved."))
            return redirect(
                "medications:detail", patient_id=patient.pk, medication_id=medication.pk
            )
    context = {"patient": patient, "form": form, "medication": medication, "creating": False}
    return render(request, "medications/form.html", context)


@patient_view(Area.MEDICATIONS, Level.WRITE)
@require_POST
def medication_status(
    request: AuthenticatedHttpRequest, patient: Patient, medication_id: uuid.UUID
) -> HttpResponse:
    medication = _medication(patient, medication_id)
    form = StatusForm(request.POST)
    if not form.is_valid():
        messages.error(
            request, _("Choose pause, resume or stop, with a reason of up to 500 letters.")
        )
    else:
        status = form.cleaned_data["status"]
        services.medication_set_status(
            patient=patient,
            actor=request.user,
            medication=medication,
            status=status,
            reason=form.cleaned_data["reason"],
        )
        done = {
            Status.ACTIVE: _("%(name)s is active again; its doses are back on the schedule."),
            Status.PAUSED: _("%(name)s is paused; its upcoming doses were removed."),
            Status.DISCONTINUED: _("%(name)s was stopped; its upcoming doses were removed."),
        }
        messages.success(request, done[Status(status)] % {"name": medication.name})
    return redirect("medications:detail", patient_id=patient.pk, medication_id=medication.pk)


def _schedule_page(
    request: AuthenticatedHttpRequest,
    patient: Patient,
    medication: Medication,
    form: ScheduleForm,
    schedule: MedicationSchedule | None,
) -> HttpResponse:
    preview = None
    if form.is_bound and form.is_valid():
        preview = selectors.preview(form.recurrence(), patient.zone, timezone.now())
    context = {
        "patient": patient,
        "medication": medication,
        "form": form,
        "schedule": schedule,
        "preview": preview,
    }
    return render(request, "medications/schedule_form.html", context)


@patient_view(Area.MEDICATIONS, Level.WRITE)
@require_http_methods(["GET", "POST"])
def schedule_create(
    request: AuthenticatedHttpRequest, patient: Patient, medication_id: uuid.UUID
) -> HttpResponse:
    medication = _medication(patient, medication_id)
    initial = {
        "frequency": "daily",
        "times": ["08:00"],
        "start_date": max(timezone.localdate(), medication.start_date),
        "form_token": uuid.uuid4(),
    }
    form = ScheduleForm(request.POST or None, initial=initial)
    if request.method == "POST" and "save" in request.POST and form.is_valid():
        try:
            services.schedule_create(
                patient=patient,
                actor=request.user,
                medication=medication,
                form_token=form.cleaned_data["form_token"],
                **form.fields_for_service,
            )
        except AlreadyCreated:
            messages.info(request, _("This schedule was already saved."))
        except ValidationError as error:
            form.add_error(None, error)
            return _schedule_page(request, patient, medication, form, None)
        else:
            messages.success(request, _("Schedule saved; the doses are on the calendar."))
        return redirect("medications:detail", patient_id=patient.pk, medication_id=medication.pk)
    return _schedule_page(request, patient, medication, form, None)


@patient_view(Area.MEDICATIONS, Level.WRITE)
@require_http_methods(["GET", "POST"])
def schedule_edit(
    request: AuthenticatedHttpRequest,
    patient: Patient,
    medication_id: uuid.UUID,
    schedule_id: uuid.UUID,
) -> HttpResponse:
    medication = _medication(patient, medication_id)
    schedule = get_object_or_404(MedicationSchedule, pk=schedule_id, medication=medication)
    form = ScheduleForm(request.POST or None, initial=ScheduleForm.initial_for(schedule))
    if request.method == "POST" and "save" in request.POST and form.is_valid():
        try:
            services.schedule_update(
                patient=patient,
                actor=request.user,
                schedule=schedule,
                version=form.cleaned_data["version"],
                **form.fields_for_service,
            )
        except services.EditConflict:
            latest = get_object_or_404(MedicationSchedule, pk=schedule_id, medication=medication)
            saved = ScheduleForm.initial_for(latest)
            saved.pop("version")
            form = after_conflict(
                ScheduleForm,
                request.POST,
                latest.updated_at,
                _(
                    "Someone else changed this schedule while you were editing. Saved "
                    "now: %(values)s. Your changes are still below: check, then save again."
                )
                % {"values": newer_values(form, saved)},
            )
            schedule = latest
        else:
            messages.success(request, _("Schedule changed. Past doses keep their times."))
            return redirect(
                "medications:detail", patient_id=patient.pk, medication_id=medication.pk
            )
    return _schedule_page(request, patient, medication, form, schedule)


@patient_view(Area.MEDICATIONS, Level.WRITE)
@require_POST
def schedule_end(
    request: AuthenticatedHttpRequest,
    patient: Patient,
    medication_id: uuid.UUID,
    schedule_id: uuid.UUID,
) -> HttpResponse:
    medication = _medication(patient, medication_id)
    schedule = get_object_or_404(MedicationSchedule, pk=schedule_id, medication=medication)
    today = patient.today()
    try:
        services.schedule_end(patient=patient, actor=request.user, schedule=schedule, on=today)
    except ValidationError as error:
        messages.error(request, error.messages[0])
    else:
        messages.success(request, _("The schedule ends today."))
    return redirect("medications:detail", patient_id=patient.pk, medication_id=medication.pk)


@patient_view(Area.MEDICATIONS, Level.WRITE)
@require_http_methods(["GET", "POST"])
def taper_create(
    request: AuthenticatedHttpRequest, patient: Patient, medication_id: uuid.UUID
) -> HttpResponse:
    medication = _medication(patient, medication_id)
    form = TaperForm(
        request.POST or None, initial={"times": ["08:00"], "form_token": uuid.uuid4()}
    )
    plan = None
    if request.method == "POST" and form.is_valid():
        if "save" in request.POST:
            try:
                services.taper_create(
                    patient=patient,
                    actor=request.user,
                    medication=medication,
                    start=form.cleaned_data["start_date"],
                    times=form.cleaned_data["times"],
                    steps=form.cleaned_data["steps"],
                    form_token=form.cleaned_data["form_token"],
                )
            except AlreadyCreated:
                messages.info(request, _("This taper was already saved."))
            except ValidationError as error:
                add_service_error(form, error, times_of_day="times")
            else:
                messages.success(
                    request, _("The taper is saved; each step's doses are on the calendar.")
                )
            if not form.errors:
                return redirect(
                    "medications:detail", patient_id=patient.pk, medication_id=medication.pk
                )
        if not form.errors:
            steps = services.taper_plan(
                form.cleaned_data["start_date"], form.cleaned_data["steps"]
            )
            plan = [asdict(step) for step in steps]
    context = {"patient": patient, "medication": medication, "form": form, "plan": plan}
    return render(request, "medications/taper_form.html", context)
