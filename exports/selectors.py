"""Reads for the Exports page."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from accounts.models import User
from appointments.models import Appointment
from appointments.models import Status as AppointmentStatus
from exports.models import ExportJob
from patients.models import Patient

SHOWN = 20


def my_exports(patient: Patient, user: User) -> list[ExportJob]:
    """My exports of this patient: each holds what its maker may see, so nobody
    else's (a member whose permissions are narrower must not get around them)."""
    return list(
        ExportJob.objects.filter(patient=patient, requested_by=user)
        .select_related("requested_by", "file")
        .order_by("-created_at")[:SHOWN]
    )


def since_last_visit(patient: Patient, today: dt.date) -> dt.date:
    """The day of the last appointment that took place, else 90 days ago."""
    last = (
        Appointment.objects.filter(
            patient=patient, status=AppointmentStatus.COMPLETED, starts_at__lt=timezone.now()
        )
        .order_by("-starts_at")
        .values_list("starts_at", flat=True)
        .first()
    )
    return last.astimezone(patient.zone).date() if last else today - dt.timedelta(days=90)
