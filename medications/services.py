"""Writes for medications and schedules; every change keeps future doses in step."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from doses import generation
from medications.models import Medication, MedicationSchedule, Status
from medications.recurrence import DAILY, start_of_day
from patients.access import Area, Level, can
from patients.models import Patient


def _require_writer(patient: Patient) -> None:
    from django.core.exceptions import PermissionDenied

    if not can(patient, Area.MEDICATIONS, Level.WRITE):
        raise PermissionDenied


def _today_start(patient: Patient, now: dt.datetime) -> dt.datetime:
    from zoneinfo import ZoneInfo

    zone = ZoneInfo(patient.timezone)
    return start_of_day(now.astimezone(zone).date(), zone)


@transaction.atomic
def medication_create(*, patient: Patient, actor: User, **fields: Any) -> Medication:
    _require_writer(patient)
    medication = Medication(patient=patient, created_by=actor, **fields)
    medication.full_clean(validate_constraints=False)
    medication.save(force_insert=True)
    return medication


@transaction.atomic
def medication_update(
    *, patient: Patient, actor: User, medication: Medication, **fields: Any
) -> None:
    _require_writer(patient)
    for name, value in fields.items():
        setattr(medication, name, value)
    medication.full_clean(validate_constraints=False)
    medication.save()
    # The dose amount or the dates may have changed: refresh what is still to come.
    generation.doses_regenerate(now=timezone.now(), medication_ids=[medication.pk])


@transaction.atomic
def medication_set_status(
    *,
    patient: Patient,
    actor: User,
    medication: Medication,
    status: str,
    reason: str = "",
    now: dt.datetime | None = None,
) -> None:
    """Pause, resume or discontinue. Pausing or discontinuing withdraws future pending doses."""
    _require_writer(patient)
    now = now or timezone.now()
    Medication.objects.filter(pk=medication.pk).update(
        status=status, status_changed_on=now.date(), status_reason=reason.strip(), updated_at=now
    )
    if status == Status.ACTIVE:
        generation.doses_regenerate(now=now, medication_ids=[medication.pk])
    else:
        generation.doses_withdraw_future(now=now, medication_ids=[medication.pk])


@transaction.atomic
def schedule_create(
    *,
    patient: Patient,
    actor: User,
    medication: Medication,
    now: dt.datetime | None = None,
    **fields: Any,
) -> MedicationSchedule:
    """Add a schedule and create its doses from the start of today
    (earlier ones show as overdue)."""
    _require_writer(patient)
    now = now or timezone.now()
    schedule = MedicationSchedule(patient=patient, medication=medication, **fields)
    schedule.full_clean(validate_constraints=False)
    schedule.save(force_insert=True)
    generation.doses_generate(
        now=now, since=_today_start(patient, now), schedule_ids=[schedule.pk]
    )
    return schedule


@transaction.atomic
def schedule_update(
    *,
    patient: Patient,
    actor: User,
    schedule: MedicationSchedule,
    now: dt.datetime | None = None,
    **fields: Any,
) -> None:
    """Change a schedule: past doses keep their times; future pending ones are regenerated."""
    _require_writer(patient)
    for name, value in fields.items():
        setattr(schedule, name, value)
    schedule.full_clean(validate_constraints=False)
    schedule.save()
    generation.doses_regenerate(now=now or timezone.now(), schedule_ids=[schedule.pk])


@transaction.atomic
def schedule_end(
    *,
    patient: Patient,
    actor: User,
    schedule: MedicationSchedule,
    on: dt.date,
    now: dt.datetime | None = None,
) -> None:
    """Stop a schedule after ``on`` (its last day)."""
    _require_writer(patient)
    on = max(on, schedule.start_date)
    MedicationSchedule.objects.filter(pk=schedule.pk).update(
        end_date=on, updated_at=timezone.now()
    )
    generation.doses_regenerate(now=now or timezone.now(), schedule_ids=[schedule.pk])


@dataclass(frozen=True)
class TaperStep:
    amount: Decimal
    days: int


def taper_create(
    *,
    patient: Patient,
    actor: User,
    medication: Medication,
    start: dt.date,
    times: list[dt.time],
    steps: list[TaperStep],
    now: dt.datetime | None = None,
) -> list[MedicationSchedule]:
    """ "2 tablets for 5 days, then 1 tablet for 5 days, then stop": one schedule per
    step, back to back, and the medication ends after the last step."""
    if not steps:
        raise ValueError(_("A taper needs at least one step."))
    with transaction.atomic():
        schedules = []
        day = start
        for step in steps:
            last = day + dt.timedelta(days=step.days - 1)
            schedules.append(
                schedule_create(
                    patient=patient,
                    actor=actor,
                    medication=medication,
                    now=now,
                    frequency=DAILY,
                    times_of_day=times,
                    days_of_week=[],
                    dose_amount=step.amount,
                    start_date=day,
                    end_date=last,
                )
            )
            day = last + dt.timedelta(days=1)
        Medication.objects.filter(pk=medication.pk).update(end_date=day - dt.timedelta(days=1))
        return schedules


def patient_timezone_changed(*, patient: Patient, now: dt.datetime | None = None) -> None:
    """Future pending doses move to the new zone's wall clock (called by patients.services)."""
    generation.doses_regenerate(now=now or timezone.now(), patient_ids=[patient.pk])
