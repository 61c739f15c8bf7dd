"""Each entity's create, update and delete, through its services (as the web does)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from accounts.models import User
from appointments import services as appointments
from caregivers import services as caregivers
from files import services as files
from journal import services as journal
from measurements import services as measurements
from medications import services as medications
from medications.models import Medication
from medtrack.db import AlreadyCreated
from patients import services as patients
from patients.access import get_patient_for_user
from patients.forms import PatientForm
from patients.models import Patient
from sync.entities import ENTITIES, parse
from sync.push.doses import create_dose
from sync.push.results import Item, ItemError, Result, result_for

# -- Creates -----------------------------------------------------------------------------


def _profile(values: dict[str, Any]) -> dict[str, Any]:
    """A patient's profile through the web's own form (names trimmed, the phone
    made dialable, the date of birth and time zone checked)."""
    contact = values.get("emergency_contact") or {}
    if not isinstance(contact, dict):
        raise ValidationError({"emergency_contact": [_("Send name, phone and relationship.")]})
    dob = values.get("dob")
    form = PatientForm(
        {
            "name": values.get("name", ""),
            "dob": dob.isoformat() if dob else "",
            "gender": values.get("gender", ""),
            "allergies": list(values.get("allergies") or []),
            "medical_conditions": list(values.get("medical_conditions") or []),
            "contact_name": str(contact.get("name", "")),
            "contact_phone": str(contact.get("phone", "")),
            "contact_relationship": str(contact.get("relationship", "")),
            "timezone": values.get("timezone", ""),
        }
    )
    if not form.is_valid():
        errors: dict[str, list[str]] = {}
        for name, messages in form.errors.items():
            key = "emergency_contact" if name.startswith("contact_") else name
            errors.setdefault(key, []).extend(str(message) for message in messages)
        raise ValidationError(errors)
    return form.profile


def create_patient(user: User, item: Item) -> Result:
    values = _profile(parse(item.entity, item.data, item.entity.creatable))
    try:
        created = patients.patient_create(actor=user, form_token=item.id, **values)
    except AlreadyCreated:
        created = get_patient_for_user(user, item.id, item.entity.area)
        return result_for(item, created, "unchanged")
    return result_for(item, created, "applied")


def _medication_create(
    *, patient: Patient, actor: User, item: Item, values: dict[str, Any], now: dt.datetime
) -> None:
    medications.medication_create(patient=patient, actor=actor, form_token=item.id, **values)


def _schedule_create(
    *, patient: Patient, actor: User, item: Item, values: dict[str, Any], now: dt.datetime
) -> None:
    medication = Medication.objects.filter(
        pk=values.pop("medication_id", None), patient=patient
    ).first()
    if medication is None:
        raise ValidationError({"medication_id": [_("Choose one of the patient's medications.")]})
    medications.schedule_create(
        patient=patient, actor=actor, medication=medication, now=now, form_token=item.id, **values
    )


def _measurement_create(
    *, patient: Patient, actor: User, item: Item, values: dict[str, Any], now: dt.datetime
) -> None:
    values.setdefault("source", "device")
    measurements.measurement_create(patient=patient, actor=actor, form_token=item.id, **values)


def _entry_create(
    *, patient: Patient, actor: User, item: Item, values: dict[str, Any], now: dt.datetime
) -> None:
    log_date = values.pop("log_date", None)
    if log_date is None:
        raise ValidationError({"log_date": [_("Say which day the entry is about.")]})
    try:
        journal.entry_save(
            patient=patient, actor=actor, log_date=log_date, form_token=item.id, **values
        )
    except journal.DayTaken as taken:
        raise ItemError(
            "day_taken",
            _("You already have a journal entry for that day: edit it instead (id %(id)s).")
            % {"id": taken.entry.pk},
        ) from None


def _appointment_create(
    *, patient: Patient, actor: User, item: Item, values: dict[str, Any], now: dt.datetime
) -> None:
    appointments.appointment_create(patient=patient, actor=actor, form_token=item.id, **values)


CREATES: dict[str, Callable[..., None]] = {
    "medications": _medication_create,
    "schedules": _schedule_create,
    "doses": create_dose,
    "measurements": _measurement_create,
    "daily_logs": _entry_create,
    "appointments": _appointment_create,
}


# -- Updates -----------------------------------------------------------------------------


def _patient_update(
    *, patient: Patient, actor: User, instance: Any, values: dict[str, Any], now: dt.datetime
) -> None:
    profile = {name: getattr(instance, name) for name in ENTITIES["patients"].editable}
    patients.patient_update(
        patient=patient, actor=actor, version=None, **_profile({**profile, **values})
    )


def _member_update(
    *, patient: Patient, actor: User, instance: Any, values: dict[str, Any], now: dt.datetime
) -> None:
    caregivers.member_update(
        patient=patient,
        actor=actor,
        member=instance,
        role=values.get("role", instance.role),
        permissions=values.get("permissions", instance.permissions),
    )


def _medication_update(
    *, patient: Patient, actor: User, instance: Any, values: dict[str, Any], now: dt.datetime
) -> None:
    status = values.pop("status", None)
    reason = values.pop("status_reason", None)
    if values:
        medications.medication_update(patient=patient, actor=actor, medication=instance, **values)
    if status is not None or reason is not None:
        if status is not None and status not in ("active", "paused", "discontinued"):
            raise ValidationError({"status": [_("Choose active, paused or discontinued.")]})
        medications.medication_set_status(
            patient=patient,
            actor=actor,
            medication=instance,
            status=status or instance.status,
            reason=instance.status_reason if reason is None else reason,
            now=now,
        )


def _schedule_update(
    *, patient: Patient, actor: User, instance: Any, values: dict[str, Any], now: dt.datetime
) -> None:
    medications.schedule_update(patient=patient, actor=actor, schedule=instance, now=now, **values)


def _measurement_update(
    *, patient: Patient, actor: User, instance: Any, values: dict[str, Any], now: dt.datetime
) -> None:
    measurements.measurement_update(
        patient=patient, actor=actor, measurement=instance, version=None, **values
    )


def _entry_update(
    *, patient: Patient, actor: User, instance: Any, values: dict[str, Any], now: dt.datetime
) -> None:
    content = {name: getattr(instance, name) for name in journal.CONTENT}
    journal.entry_save(
        patient=patient,
        actor=actor,
        log_date=instance.log_date,
        entry=instance,
        version=instance.updated_at,
        **{**content, **values},
    )


def _appointment_update(
    *, patient: Patient, actor: User, instance: Any, values: dict[str, Any], now: dt.datetime
) -> None:
    status = values.pop("status", None)
    outcome = values.pop("outcome", None)
    if values:
        instance = appointments.appointment_update(
            patient=patient, actor=actor, appointment=instance, version=None, **values
        )
    if status is not None or outcome is not None:
        appointments.appointment_set_status(
            patient=patient,
            actor=actor,
            appointment=instance,
            status=status or instance.status,
            outcome=instance.outcome if outcome is None else outcome,
        )


def _file_update(
    *, patient: Patient, actor: User, instance: Any, values: dict[str, Any], now: dt.datetime
) -> None:
    files.file_update(
        patient=patient,
        actor=actor,
        file=instance,
        file_name=values.get("file_name", instance.file_name),
        note=values.get("note", instance.note),
    )


UPDATES: dict[str, Callable[..., None]] = {
    "patients": _patient_update,
    "team": _member_update,
    "medications": _medication_update,
    "schedules": _schedule_update,
    "measurements": _measurement_update,
    "daily_logs": _entry_update,
    "appointments": _appointment_update,
    "files": _file_update,
}


# -- Deletes -----------------------------------------------------------------------------


def _member_delete(*, patient: Patient, actor: User, instance: Any) -> None:
    if instance.caregiver_id == actor.pk:
        caregivers.member_leave(patient=patient, actor=actor)
    else:
        caregivers.member_remove(patient=patient, actor=actor, member=instance)


DELETES: dict[str, Callable[..., None]] = {
    "patients": lambda *, patient, actor, instance: patients.patient_soft_delete(
        patient=patient, actor=actor
    ),
    "team": _member_delete,
    "measurements": lambda *, patient, actor, instance: measurements.measurement_delete(
        patient=patient, actor=actor, measurement=instance
    ),
    "daily_logs": lambda *, patient, actor, instance: journal.entry_delete(
        patient=patient, actor=actor, entry=instance
    ),
    "appointments": lambda *, patient, actor, instance: appointments.appointment_delete(
        patient=patient, actor=actor, appointment=instance
    ),
    "files": lambda *, patient, actor, instance: files.file_delete(
        patient=patient, actor=actor, file=instance
    ),
}
