from __future__ import annotations

import uuid

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from doses import selectors, services
from doses.models import Dose
from medications.models import Medication
from medtrack.db import AlreadyCreated
from medtrack.types import AuthenticatedHttpRequest
from patients.access import Area, Level, can, patient_view
from patients.models import Patient


@patient_view(Area.DOSES)
@require_GET
def today(request: AuthenticatedHttpRequest, patient: Patient) -> HttpResponse:
    now = timezone.now()
    day, rows = selectors.today(patient, now)
    context = {
        "patient": patient,
        "day": day,
        "rows": rows,
        "as_needed": selectors.as_needed(patient, now),
        "can_record": can(patient, Area.DOSES, Level.WRITE),
        "is_primary": can(patient, Area.PATIENT, Level.MANAGE),
    }
    return render(request, "doses/today.html", context)


def _already_text(error: services.AlreadyRecorded, patient: Patient) -> str:
    dose = error.dose
    who = dose.recorded_by.name if dose.recorded_by else _("someone")
    when = (dose.taken_at or dose.updated_at).astimezone(patient.zone).strftime("%H:%M")
    if dose.status == "skipped":
        return _("Already recorded as skipped by %(who)s at %(when)s.") % {
            "who": who,
            "when": when,
        }
    return _("Already recorded by %(who)s at %(when)s.") % {"who": who, "when": when}


@patient_view(Area.DOSES, Level.WRITE)
@require_POST
def record(
    request: AuthenticatedHttpRequest, patient: Patient, dose_id: uuid.UUID
) -> HttpResponse:
    """Taken / Skip / Undo. htmx swaps the row; without JavaScript it redirects back."""
    action = request.POST.get("action", "")
    notice = ""
    dose: Dose | None
    try:
        if action == "taken":
            dose = services.dose_take(patient=patient, actor=request.user, dose_id=dose_id)
        elif action == "skip":
            reason = request.POST.get("reason", "").strip()
            if not reason or "\x00" in reason or len(reason) > 200:
                raise ValidationError(_("Say briefly why the dose was skipped."))
            dose = services.dose_skip(
                patient=patient, actor=request.user, dose_id=dose_id, reason=reason
            )
        elif action == "undo":
            dose = services.dose_undo(patient=patient, actor=request.user, dose_id=dose_id)
        else:
            raise ValidationError(_("Choose Taken, Skip or Undo."))
    except services.AlreadyRecorded as error:
        notice, dose = _already_text(error, patient), error.dose
    except ValidationError as error:
        notice = error.messages[0]
        dose = (
            Dose.objects.select_related("medication", "recorded_by")
            .filter(pk=dose_id, patient=patient, scheduled_for__isnull=False)
            .first()
        )
    except Dose.DoesNotExist:
        raise Http404 from None
    back = "dashboard" if request.POST.get("back") == "dashboard" else ""
    if request.htmx and dose is not None:  # type: ignore[attr-defined]
        row = selectors.Row(dose, selectors.state_of(dose, timezone.now()))
        context = {
            "patient": patient,
            "row": row,
            "can_record": True,
            "notice": notice,
            "back": back,
        }
        return render(request, "doses/includes/_row.html", context)
    if notice:
        messages.warning(request, notice)
    if back:
        return redirect("dashboard:home")
    return redirect("doses:today", patient_id=patient.pk)


@patient_view(Area.DOSES, Level.WRITE)
@require_POST
def give_now(
    request: AuthenticatedHttpRequest, patient: Patient, medication_id: uuid.UUID
) -> HttpResponse:
    """Record an as-needed dose now, or say when the next one is allowed."""
    try:
        token = uuid.UUID(request.POST.get("form_token", ""))
    except ValueError:
        token = None
    override = request.POST.get("override_reason", "").replace("\x00", "")[:200]
    try:
        services.prn_dose_record(
            patient=patient,
            actor=request.user,
            medication_id=medication_id,
            form_token=token,
            override_reason=override,
        )
    except services.LimitReached as limit:
        at = limit.next_allowed.astimezone(patient.zone).strftime("%H:%M")
        messages.warning(
            request,
            _("Not yet: %(rule)s. The next dose is allowed at %(at)s.")
            % {"rule": limit.reason, "at": at},
        )
    except PermissionDenied:
        messages.error(request, _("Only a primary caregiver can give a dose beyond its limit."))
    except AlreadyCreated:
        messages.info(request, _("This dose was already recorded."))
    except Medication.DoesNotExist:
        raise Http404 from None
    else:
        messages.success(request, _("Dose recorded."))
    return redirect("doses:today", patient_id=patient.pk)


@patient_view(Area.DOSES)
@require_GET
def history(request: AuthenticatedHttpRequest, patient: Patient) -> HttpResponse:
    """What was given, skipped or missed, newest first, by day; filter by medication."""
    try:
        medication_id = (
            uuid.UUID(request.GET.get("medication", "")) if request.GET.get("medication") else None
        )
    except ValueError:
        medication_id = None
    page = selectors.history(
        patient, medication_id=medication_id, cursor=request.GET.get("before")
    )
    context = {
        "patient": patient,
        "page": page,
        "medications": Medication.objects.filter(patient=patient)
        .order_by("name")
        .only("pk", "name"),
        "medication_id": str(medication_id or ""),
    }
    return render(request, "doses/history.html", context)
