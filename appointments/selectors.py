"""Reads for appointments: a patient's lists, the calendar across my patients, the team."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import F, QuerySet

from accounts.models import User
from appointments.models import Appointment, Status
from medtrack import keyset
from patients.access import Area, Level, level_for
from patients.models import Patient

PAGE = 25


def for_patient(
    patient: Patient, *, now: dt.datetime, past: bool, cursor: str | None
) -> keyset.Page[Appointment]:
    """Upcoming (soonest first) or past (latest first) appointments, by keyset."""
    found = Appointment.objects.filter(patient=patient).select_related("escort")
    found = found.filter(starts_at__lt=now) if past else found.filter(starts_at__gte=now)
    return keyset.page(found, field="starts_at", cursor=cursor, size=PAGE, ascending=not past)


def next_for(patient: Patient, now: dt.datetime) -> Appointment | None:
    return (
        Appointment.objects.filter(patient=patient, status=Status.SCHEDULED, starts_at__gte=now)
        .select_related("escort")
        .order_by("starts_at")
        .first()
    )


def team(patient: Patient) -> list[User]:
    """Who may take the patient: the active care team."""
    return list(
        User.objects.filter(
            care_memberships__patient=patient, care_memberships__is_active=True
        ).order_by("name")
    )


def visible_to(user: User) -> QuerySet[Appointment]:
    """Appointments of every patient whose appointments ``user`` may see (the access
    policy's rule; row level security says the same in the database)."""
    rows: Any = (
        Appointment.objects.filter(
            patient__caregivers__caregiver=user,
            patient__caregivers__is_active=True,
            patient__is_deleted=False,
        )
        .select_related("patient", "escort")
        .annotate(
            membership_role=F("patient__caregivers__role"),
            membership_permissions=F("patient__caregivers__permissions"),
        )
    )
    return rows


def may_see(appointment: Any) -> bool:
    return (
        level_for(
            appointment.membership_role, appointment.membership_permissions, Area.APPOINTMENTS
        )
        >= Level.READ
    )


def between(user: User, start: dt.datetime, end: dt.datetime) -> list[Appointment]:
    """My patients' appointments in ``[start, end)``, in time order (one query)."""
    found = visible_to(user).filter(starts_at__gte=start, starts_at__lt=end).order_by("starts_at")
    return [a for a in found if may_see(a)]
