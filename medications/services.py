"""Writes for medications and schedules; every change keeps future doses in step.

Rows are locked (``select_for_update``) before they change, so a concurrent
``generate_doses`` waits and then sees the change, and two people editing
the same schedule apply one after the other.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from doses import generation
from medications.models import Medication, MedicationSchedule, Status
from medications.recurrence import DAILY, start_of_day
from medtrack.db import EditConflict, already, check_version, insert_once
from patients.access import Area, Level, require
from patients.models import Patient

__all__ = ["EditConflict", "medication_create", "medication_update", "schedule_update"]


@transaction.atomic
def medication_create(
    *, patient: Patient, actor: User, form_token: uuid.UUID | None = None, **fields: Any
) -> Medication:
    """Add a medication; the form's token becomes its id, so a double submit adds one."""
    require(patient, Area.MEDICATIONS, Level.WRITE)
    medication = Medication(
        id=form_token or uuid.uuid4(), patient=patient, created_by=actor, **fields
    )
    # Uniqueness of the id is insert_once's job (a repeated token is a double submit).
    medication.full_clean(validate_unique=False, validate_constraints=False)
    insert_once(medication, mine=Medication.objects.filter(patient=patient))
    return medication


#: The medication's fields its doses are made from (``doses.generation``).
DOSE_FIELDS = ("dose_amount", "start_date", "end_date", "is_prn")


@transaction.atomic
def medication_update(
    *,
    patient: Patient,
    actor: User,
    medication: Medication,
    version: dt.datetime | None = None,
    **fields: Any,
) -> None:
    """Save changes unless someone else saved since ``version`` was read (``EditConflict``)."""
    require(patient, Area.MEDICATIONS, Level.WRITE)
    fields.pop("form_token", None)
    medication = Medication.objects.select_for_update().get(pk=medication.pk)
    check_version(medication, version, fields)
    before = {name: getattr(medication, name) for name in DOSE_FIELDS}
    for name, value in fields.items():
        setattr(medication, name, value)
    medication.full_clean(validate_constraints=False)
    medication.save()
    if any(getattr(medication, name) != value for name, value in before.items()):
        # What is still to come follows the new amount or dates; a change of notes or
        # pharmacy leaves the pending doses (and a Today page open on them) alone.
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
    require(patient, Area.MEDICATIONS, Level.WRITE)
    now = now or timezone.now()
    Medication.objects.select_for_update().filter(pk=medication.pk).update(
        status=status,
        status_changed_on=patient.today(now),
        status_reason=reason.strip(),
        updated_at=now,
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
    form_token: uuid.UUID | None = None,
    **fields: Any,
) -> MedicationSchedule:
    """Add a schedule and create its doses from the start of today (earlier ones
    show as overdue). The form's token becomes its id: a double submit adds one."""
    require(patient, Area.MEDICATIONS, Level.WRITE)
    now = now or timezone.now()
    schedule = MedicationSchedule(
        id=form_token or uuid.uuid4(), patient=patient, medication=medication, **fields
    )
    schedule.full_clean(validate_unique=False, validate_constraints=False)
    insert_once(schedule, mine=MedicationSchedule.objects.filter(patient=patient))
    zone = patient.zone
    since = start_of_day(patient.today(now), zone)
    generation.doses_generate(now=now, since=since, schedule_ids=[schedule.pk])
    return schedule


@transaction.atomic
def schedule_update(
    *,
    patient: Patient,
    actor: User,
    schedule: MedicationSchedule,
    now: dt.datetime | None = None,
    version: dt.datetime | None = None,
    **fields: Any,
) -> None:
    """Change a schedule: past doses keep their times; future pending ones are
    regenerated. Someone else's save since ``version`` was read raises ``EditConflict``."""
    require(patient, Area.MEDICATIONS, Level.WRITE)
    schedule = MedicationSchedule.objects.select_for_update().get(pk=schedule.pk)
    check_version(schedule, version, fields)
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
    """Stop a schedule after ``on`` (its last day); an end date is never moved later."""
    require(patient, Area.MEDICATIONS, Level.WRITE)
    schedule = MedicationSchedule.objects.select_for_update().get(pk=schedule.pk)
    if schedule.start_date > on:
        raise ValidationError(
            _("This schedule has not started yet; change its dates instead."), code="not_started"
        )
    if schedule.end_date is not None and schedule.end_date <= on:
        return
    MedicationSchedule.objects.filter(pk=schedule.pk).update(
        end_date=on, updated_at=timezone.now()
    )
    generation.doses_regenerate(now=now or timezone.now(), schedule_ids=[schedule.pk])


@dataclass(frozen=True)
class TaperStep:
    amount: Decimal
    days: int


@dataclass(frozen=True)
class PlannedStep:
    amount: Decimal
    first: dt.date
    last: dt.date


def taper_plan(start: dt.date, steps: list[TaperStep]) -> list[PlannedStep]:
    """The steps' dates, back to back from ``start`` (shown before saving, then saved)."""
    plan, day = [], start
    for step in steps:
        last = day + dt.timedelta(days=step.days - 1)
        plan.append(PlannedStep(step.amount, day, last))
        day = last + dt.timedelta(days=1)
    return plan


def taper_create(
    *,
    patient: Patient,
    actor: User,
    medication: Medication,
    start: dt.date,
    times: list[dt.time],
    steps: list[TaperStep],
    now: dt.datetime | None = None,
    form_token: uuid.UUID | None = None,
) -> list[MedicationSchedule]:
    """ "2 tablets for 5 days, then 1 tablet for 5 days, then stop": one schedule per
    step, back to back, and the medication ends after the last step.

    The taper replaces the regimen: schedules running on its first day end the
    day before; a schedule starting later must be changed first. The form's
    token becomes the first step's id, so a double submit adds one taper.
    """
    if not steps:
        raise ValueError("A taper needs at least one step.")
    now = now or timezone.now()
    with transaction.atomic():
        require(patient, Area.MEDICATIONS, Level.WRITE)
        medication = Medication.objects.select_for_update().get(pk=medication.pk)
        if form_token and MedicationSchedule.objects.filter(pk=form_token).exists():
            raise already(form_token, MedicationSchedule.objects.filter(patient=patient))
        if start < medication.start_date:
            raise ValidationError(
                {"start_date": _("The taper cannot start before the medication does.")}
            )
        existing = MedicationSchedule.objects.filter(medication=medication).covering(start)
        if existing.filter(start_date__gte=start).exists():
            raise ValidationError(
                {"start_date": _("Another schedule starts on or after this day; change it first.")}
            )
        for schedule in existing:
            schedule_end(
                patient=patient,
                actor=actor,
                schedule=schedule,
                on=start - dt.timedelta(days=1),
                now=now,
            )
        plan = taper_plan(start, steps)
        schedules = [
            schedule_create(
                patient=patient,
                actor=actor,
                medication=medication,
                now=now,
                form_token=form_token if number == 0 else None,
                frequency=DAILY,
                times_of_day=times,
                days_of_week=[],
                dose_amount=step.amount,
                start_date=step.first,
                end_date=step.last,
            )
            for number, step in enumerate(plan)
        ]
        Medication.objects.filter(pk=medication.pk).update(end_date=plan[-1].last)
        # Doses past the new end date (from any schedule) go.
        generation.doses_regenerate(now=now, medication_ids=[medication.pk])
        return schedules


def patient_timezone_changed(*, patient: Patient, now: dt.datetime | None = None) -> None:
    """Future pending doses move to the new zone's wall clock (called by patients.services)."""
    generation.doses_regenerate(now=now or timezone.now(), patient_ids=[patient.pk])
