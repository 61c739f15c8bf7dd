"""Writes to care teams. Team screens (invitations, roles, leaving) build on these."""

from __future__ import annotations

from django.utils import timezone

from accounts.models import User
from caregivers.models import CaregiverRole, PatientCaregiver
from patients.models import Patient


def membership_bootstrap(*, patient: Patient, actor: User) -> PatientCaregiver:
    """Make a patient's creator its first primary caregiver.

    The database allows this row only while the patient has no caregiver and
    was created by the acting user (``rls_may_bootstrap``).
    """
    return PatientCaregiver.objects.create(
        patient=patient,
        caregiver=actor,
        role=CaregiverRole.PRIMARY,
        accepted_at=timezone.now(),
    )
