"""Writes for appointments. Every change calendar apps should see raises the
event's SEQUENCE, so subscribed calendars replace their copy."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext as _

from accounts.models import User
from appointments.models import Appointment, Status
from caregivers.models import PatientCaregiver
from medtrack.db import EditConflict, check_version, insert_once
from patients.access import Area, Level, require
from patients.models import Patient

__all__ = ["EditConflict", "appointment_create", "appointment_delete", "appointment_update"]


def _check_escort(patient: Patient, escort: User | None) -> None:
    if escort is None:
        return
    if not PatientCaregiver.objects.filter(
        patient=patient, caregiver=escort, is_active=True
    ).exists():
        raise ValidationError(
            {"escort": _("Choose someone from the care team.")}, code="not_in_team"
        )


@transaction.atomic
def appointment_create(
    *, patient: Patient, actor: User, form_token: uuid.UUID | None = None, **fields: Any
) -> Appointment:
    """Add an appointment; the form's token becomes its id (a double submit adds one)."""
    require(patient, Area.APPOINTMENTS, Level.WRITE)
    appointment = Appointment(
        id=form_token or uuid.uuid4(), patient=patient, created_by=actor, **fields
    )
    appointment.full_clean(validate_unique=False, validate_constraints=False)
    _check_escort(patient, appointment.escort)
    insert_once(appointment, mine=Appointment.objects.filter(patient=patient))
    return appointment


def _locked(patient: Patient, appointment: Appointment) -> Appointment:
    current = (
        Appointment.objects.select_for_update().filter(pk=appointment.pk, patient=patient).first()
    )
    if current is None:
        raise Appointment.DoesNotExist
    return current


@transaction.atomic
def appointment_update(
    *,
    patient: Patient,
    actor: User,
    appointment: Appointment,
    version: dt.datetime | None,
    **fields: Any,
) -> Appointment:
    """Save changes unless someone else saved since ``version`` was read."""
    require(patient, Area.APPOINTMENTS, Level.WRITE)
    fields.pop("form_token", None)
    current = _locked(patient, appointment)
    check_version(current, version, fields)
    escort_before = current.escort_id
    for name, value in fields.items():
        setattr(current, name, value)
    current.full_clean(validate_unique=False, validate_constraints=False)
    if current.escort_id != escort_before:  # an escort who has left may stay, not be chosen
        _check_escort(patient, current.escort)
    current.sequence = F("sequence") + 1
    current.save()
    current.refresh_from_db()
    return current


@transaction.atomic
def appointment_set_status(
    *,
    patient: Patient,
    actor: User,
    appointment: Appointment,
    status: str,
    outcome: str = "",
) -> Appointment:
    """Cancel, mark done or missed (with what came of it), or put back on the calendar."""
    require(patient, Area.APPOINTMENTS, Level.WRITE)
    current = _locked(patient, appointment)
    if status not in Status.values:
        raise ValidationError(_("Choose done, missed, cancelled or scheduled."))
    if current.status == status and current.outcome == outcome:
        return current  # pressed twice
    current.status = status
    if status in (Status.COMPLETED, Status.MISSED) or outcome:
        current.outcome = outcome
    current.sequence = F("sequence") + 1
    current.save()
    current.refresh_from_db()
    return current


@transaction.atomic
def appointment_delete(*, patient: Patient, actor: User, appointment: Appointment) -> None:
    require(patient, Area.APPOINTMENTS, Level.WRITE)
    Appointment.objects.filter(pk=appointment.pk, patient=patient).delete()
