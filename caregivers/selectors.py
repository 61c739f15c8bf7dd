"""Reads for the Team page: one query per panel."""

from __future__ import annotations

from django.db.models import Exists, OuterRef, QuerySet, Subquery

from accounts.models import User
from caregivers.models import (
    CaregiverInvitation,
    CaregiverRole,
    InvitationStatus,
    PatientCaregiver,
)
from patients.models import Patient


def team_members(patient: Patient) -> QuerySet[PatientCaregiver]:
    """Active members with their user and who invited them (none for the creator)."""
    inviter = CaregiverInvitation.objects.filter(
        patient=OuterRef("patient"),
        accepted_by=OuterRef("caregiver"),
        status=InvitationStatus.ACCEPTED,
    ).order_by("-accepted_at")
    return (
        PatientCaregiver.objects.filter(patient=patient, is_active=True)
        .select_related("caregiver")
        .annotate(invited_by_name=Subquery(inviter.values("invited_by__name")[:1]))
        .order_by("role", "caregiver__name")
    )


def pending_invitations(patient: Patient) -> QuerySet[CaregiverInvitation]:
    return (
        CaregiverInvitation.objects.filter(patient=patient, status=InvitationStatus.PENDING)
        .select_related("invited_by")
        .order_by("-created_at")
    )


def sole_primary_of(user: User) -> QuerySet[Patient]:
    """Patients whose only active primary caregiver is ``user`` (deleted ones
    too: ``is_deleted`` tells them apart). Before their account can go, the
    others need a new primary or to be deleted (accounts.leaving)."""
    other_primaries = PatientCaregiver.objects.filter(
        patient=OuterRef("pk"), role=CaregiverRole.PRIMARY, is_active=True
    ).exclude(caregiver=user)
    return (
        Patient.objects.filter(
            caregivers__caregiver=user,
            caregivers__role=CaregiverRole.PRIMARY,
            caregivers__is_active=True,
        )
        .exclude(Exists(other_primaries))
        .order_by("is_deleted", "name")
    )
