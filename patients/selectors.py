"""Reads for patient pages: each returns exactly what a panel shows, in one query."""

from __future__ import annotations

import datetime as dt

from django.db.models import F, QuerySet

from accounts.models import User
from caregivers.models import PatientCaregiver
from patients.models import Patient


def patients_for_user(user: User) -> QuerySet[Patient]:
    """The active patients whose team ``user`` is on, with their role there."""
    return (
        Patient.objects.active()
        .filter(caregivers__caregiver=user, caregivers__is_active=True)
        .annotate(membership_role=F("caregivers__role"))
        .order_by("name")
    )


def restorable_patients_for_user(user: User, now: dt.datetime) -> QuerySet[Patient]:
    return (
        Patient.objects.restorable(now)
        .filter(caregivers__caregiver=user, caregivers__is_active=True, caregivers__role="primary")
        .order_by("-deleted_at")
    )


def patient_team(patient: Patient) -> QuerySet[PatientCaregiver]:
    return (
        PatientCaregiver.objects.filter(patient=patient, is_active=True)
        .select_related("caregiver")
        .order_by("role", "caregiver__name")
    )
