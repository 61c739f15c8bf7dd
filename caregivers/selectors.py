"""Reads for the Team page: one query per panel."""

from __future__ import annotations

from django.db.models import OuterRef, QuerySet, Subquery

from caregivers.models import CaregiverInvitation, InvitationStatus, PatientCaregiver
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
