from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from appointments import ical, selectors, services
from appointments.forms import FIELDS, AppointmentForm, OutcomeForm
from appointments.models import Appointment, Status
from medtrack.db import AlreadyCreated
from medtrack.forms import after_conflict, newer_values
from medtrack.shortcuts import get_or_gone
from medtrack.types import AuthenticatedHttpRequest
from patients.access import Area, Level, can, patient_view
from patients.models import Patient


def _appointment(patient: Patient, appointment_id: uuid.UUID) -> Appointment:
    return get_object_or_404(
        Appointment.objects.select_related("escort"),
        pk=appointment_id,
        patient=patient,
    )


@patient_view(Area.APPOINTMENTS)
@require_GET
def appointment_list(request: AuthenticatedHttpRequest, patient: Patient) -> HttpResponse:
    """Upcoming (soonest first) or past (latest first), a page at a time."""
    past = request.GET.get("past") == "1"
    page = selectors.for_patient(
        patient, now=timezone.now(), past=past, cursor=request.GET.get("after")
    )
    context = {
        "patient": patient,
        "page": page,
        "past": past,
        "can_write": can(patient, Area.APPOINTMENTS, Level.WRITE),
    }
    return render(request, "appointments/list.html", context)


def _form(
    request: AuthenticatedHttpRequest, patient: Patient, data: Any = None, **kwargs: Any
) -> AppointmentForm:
    return AppointmentForm(
        data if data is not None else (request.POST or None),
        zone=patient.zone,
        team=selectors.team(patient),
        **kwargs,
    )


@patient_view(Area.APPOINTMENTS, Level.WRITE)
@require_http_methods(["GET", "POST"])
def appointment_create(request: AuthenticatedHttpRequest, patient: Patient) -> HttpResponse:
    zone = patient.zone
    tomorrow = timezone.now().astimezone(zone).date() + dt.timedelta(days=1)
    initial = {
        "form_token": uuid.uuid4(),
        "starts_at": dt.datetime.combine(tomorrow, dt.time(10), zone),
    }
    form = _form(request, patient, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            appointment = services.appointment_create(
                patient=patient,
                actor=request.user,
                form_token=form.cleaned_data["form_token"],
                **form.appointment,
            )
        except AlreadyCreated as done:
            messages.info(request, _("This appointment was already saved."))
            return redirect(
                "appointments:detail", patient_id=patient.pk, appointment_id=done.record_id
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("%(title)s was added.") % {"title": appointment.title})
            return redirect(
                "appointments:detail", patient_id=patient.pk, appointment_id=appointment.pk
            )
    return render(
        request, "appointments/form.html", {"patient": patient, "form": form, "creating": True}
    )


@patient_view(Area.APPOINTMENTS)
@require_GET
def appointment_detail(
    request: AuthenticatedHttpRequest, patient: Patient, appointment_id: uuid.UUID
) -> HttpResponse:
    appointment = _appointment(patient, appointment_id)
    zone = patient.zone
    ends = appointment.ends_at
    context = {
        "patient": patient,
        "appointment": appointment,
        "ends_same_day": ends is None
        or ends.astimezone(zone).date() == appointment.starts_at.astimezone(zone).date(),
        "can_write": can(patient, Area.APPOINTMENTS, Level.WRITE),
        "statuses": Status,
    }
    return render(request, "appointments/detail.html", context)


@patient_view(Area.APPOINTMENTS, Level.WRITE)
@require_http_methods(["GET", "POST"])
def appointment_edit(
    request: AuthenticatedHttpRequest, patient: Patient, appointment_id: uuid.UUID
) -> HttpResponse:
    appointment = _appointment(patient, appointment_id)
    form = _form(request, patient, instance=appointment)
    if request.method == "POST" and form.is_valid():
        try:
            services.appointment_update(
                patient=patient,
                actor=request.user,
                appointment=appointment,
                version=form.cleaned_data["version"],
                **form.appointment,
            )
        except Appointment.DoesNotExist:
            raise Http404 from None
        except services.EditConflict:
            latest = _appointment(patient, appointment_id)
            saved = {name: getattr(latest, name) for name in FIELDS}
            form = after_conflict(
                lambda data: _form(request, patient, data=data, instance=latest),
                request.POST,
                latest.updated_at,
                _(
                    "Someone else changed this appointment while you were editing. Saved "
                    "now: %(values)s. Your changes are still below: check, then save again."
                )
                % {"values": newer_values(form, saved, zone=patient.zone)},
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Changes saved."))
            return redirect(
                "appointments:detail", patient_id=patient.pk, appointment_id=appointment.pk
            )
    context = {"patient": patient, "form": form, "appointment": appointment, "creating": False}
    return render(request, "appointments/form.html", context)


@patient_view(Area.APPOINTMENTS, Level.WRITE)
@require_POST
def appointment_status(
    request: AuthenticatedHttpRequest, patient: Patient, appointment_id: uuid.UUID
) -> HttpResponse:
    """Cancel, or put a cancelled appointment back on the calendar."""
    appointment = _appointment(patient, appointment_id)
    status = request.POST.get("status", "")
    if status not in (Status.CANCELLED, Status.SCHEDULED):
        messages.error(request, _("Choose cancel or restore."))
    else:
        services.appointment_set_status(
            patient=patient, actor=request.user, appointment=appointment, status=status
        )
        messages.success(
            request,
            _("The appointment was cancelled.")
            if status == Status.CANCELLED
            else _("The appointment is back on the calendar."),
        )
    return redirect("appointments:detail", patient_id=patient.pk, appointment_id=appointment.pk)


@patient_view(Area.APPOINTMENTS, Level.WRITE)
@require_http_methods(["GET", "POST"])
def appointment_outcome(
    request: AuthenticatedHttpRequest, patient: Patient, appointment_id: uuid.UUID
) -> HttpResponse:
    """It happened (with what came of it), or it was missed."""
    appointment = _appointment(patient, appointment_id)
    form = OutcomeForm(request.POST or None, initial={"outcome": appointment.outcome})
    status = request.POST.get("status", Status.COMPLETED)
    if request.method == "POST" and form.is_valid():
        if status not in (Status.COMPLETED, Status.MISSED):
            status = Status.COMPLETED
        services.appointment_set_status(
            patient=patient,
            actor=request.user,
            appointment=appointment,
            status=status,
            outcome=form.cleaned_data["outcome"],
        )
        messages.success(request, _("Saved."))
        return redirect(
            "appointments:detail", patient_id=patient.pk, appointment_id=appointment.pk
        )
    context = {"patient": patient, "appointment": appointment, "form": form}
    return render(request, "appointments/outcome.html", context)


@patient_view(Area.APPOINTMENTS, Level.WRITE)
@require_http_methods(["GET", "POST"])
def appointment_delete(
    request: AuthenticatedHttpRequest, patient: Patient, appointment_id: uuid.UUID
) -> HttpResponse:
    appointment = get_or_gone(
        request,
        Appointment.objects.filter(patient=patient),
        appointment_id,
        gone=_("The appointment was already deleted."),
        back=reverse("appointments:list", args=[patient.pk]),
    )
    if isinstance(appointment, HttpResponse):
        return appointment
    if request.method == "POST":
        services.appointment_delete(patient=patient, actor=request.user, appointment=appointment)
        messages.success(request, _("The appointment was deleted."))
        return redirect("appointments:list", patient_id=patient.pk)
    context = {"patient": patient, "appointment": appointment}
    return render(request, "appointments/delete.html", context)


@patient_view(Area.APPOINTMENTS)
@require_GET
def appointment_ics(
    request: AuthenticatedHttpRequest, patient: Patient, appointment_id: uuid.UUID
) -> HttpResponse:
    """One appointment as a calendar file, to open in any calendar app."""
    appointment = _appointment(patient, appointment_id)
    appointment.patient = patient
    body = ical.calendar(
        [appointment], name=appointment.title, now=timezone.now(), subscription=False
    )
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="appointment-{appointment.pk}.ics"'
    return response
