"""Writes for patients: create, edit, soft delete, restore and purge."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from caregivers import services as caregivers
from medtrack.db import check_version, constraint_name, insert_once
from patients.access import Area, Level, require
from patients.models import Patient, retention


def _duplicate_error() -> ValidationError:
    return ValidationError(
        _(
            "A patient with this name and date of birth is already in MedTrack. If someone "
            "else already looks after them, ask their primary caregiver to invite you to "
            "the care team."
        ),
        code="duplicate",
    )


@transaction.atomic
def patient_create(*, actor: User, form_token: uuid.UUID | None = None, **profile: Any) -> Patient:
    """Create a patient and make ``actor`` its primary caregiver.

    ``form_token`` (generated when the form was shown) becomes the patient's
    id, so submitting the same form twice creates one patient.
    """
    patient = Patient(id=form_token or uuid.uuid4(), created_by=actor, **profile)
    patient.full_clean(validate_unique=False, validate_constraints=False)
    try:
        insert_once(patient, mine=Patient.objects.filter(created_by=actor))
    except IntegrityError as error:
        if constraint_name(error) == "patients_name_dob_key":
            raise _duplicate_error() from None
        raise
    caregivers.membership_bootstrap(patient=patient, actor=actor)
    return patient


@transaction.atomic
def patient_update(
    *, patient: Patient, actor: User, version: dt.datetime | None, **profile: Any
) -> None:
    """Save the profile unless someone else saved it since ``version`` was read."""
    require(patient, Area.PATIENT, Level.WRITE)
    candidate = Patient(id=patient.id, created_by_id=patient.created_by_id, **profile)
    candidate.full_clean(validate_unique=False, validate_constraints=False)
    changed = Patient.objects.filter(pk=patient.pk, is_deleted=False)
    if version is not None:
        changed = changed.filter(updated_at=version)
    try:
        with transaction.atomic():
            updated = changed.update(**profile, updated_at=timezone.now())
    except IntegrityError as error:
        if constraint_name(error) == "patients_name_dob_key":
            raise _duplicate_error() from None
        raise
    if not updated:
        check_version(Patient.objects.get(pk=patient.pk), version, profile)
    if profile.get("timezone", patient.timezone) != patient.timezone:
        from medications.services import patient_timezone_changed

        patient_timezone_changed(patient=patient)


@transaction.atomic
def patient_soft_delete(*, patient: Patient, actor: User, now: dt.datetime | None = None) -> None:
    require(patient, Area.PATIENT, Level.MANAGE)
    Patient.objects.filter(pk=patient.pk).update(
        is_deleted=True, deleted_at=now or timezone.now(), updated_at=timezone.now()
    )


@transaction.atomic
def patient_restore(*, patient: Patient, actor: User, now: dt.datetime | None = None) -> None:
    require(patient, Area.PATIENT, Level.MANAGE)
    now = now or timezone.now()
    if (
        not patient.is_deleted
        or patient.deleted_at is None
        or patient.deleted_at < now - retention()
    ):
        raise ValidationError(_("This patient can no longer be restored."), code="expired")
    Patient.objects.filter(pk=patient.pk).update(
        is_deleted=False, deleted_at=None, updated_at=timezone.now()
    )


def patients_purge(*, now: dt.datetime, dry_run: bool = False) -> list[Patient]:
    """Delete, for good, patients deleted more than the retention period ago.

    Runs in system context, one patient per transaction. Its rows in every
    patient-scoped table go by ON DELETE CASCADE; their history stays.
    """
    from files.services import files_purge
    from medtrack.rls import system_context

    with system_context("purge_deleted_patients"):
        due = list(Patient.objects.purgeable(now).order_by("deleted_at"))
    if dry_run:
        return due
    for patient in due:
        with system_context("purge_deleted_patients"):
            # Files go first: their stored objects, then their rows (DESIGN.md "Deletes").
            files_purge(patient.pk)
            Patient.objects.filter(pk=patient.pk, is_deleted=True).delete()
    return due
