"""Writes for the daily journal: one entry per patient, day and caregiver.

A caregiver writes and edits their own entry of a day; a primary caregiver
may also delete anyone's (for example one written on the wrong patient).
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from accounts.models import User
from files.services import files_detach
from journal.models import DailyLog
from medtrack.db import AlreadyCreated, EditConflict, check_version, constraint_name, insert_once
from patients.access import Area, Level, can, require
from patients.models import Patient

__all__ = ["DayTaken", "EditConflict", "entry_delete", "entry_save"]

CONTENT = (
    "mood",
    "energy",
    "appetite",
    "sleep_quality",
    "sleep_hours",
    "pain_level",
    "symptoms",
    "activities",
    "notes",
)


class DayTaken(Exception):
    """The author already has an entry for that day (written in another tab)."""

    def __init__(self, entry: DailyLog) -> None:
        super().__init__(entry.pk)
        self.entry = entry


def _check_content(fields: dict[str, Any]) -> None:
    if not any(fields.get(name) not in (None, "", []) for name in CONTENT):
        raise ValidationError(_("Fill in at least one thing about the day."), code="empty")


@transaction.atomic
def entry_save(
    *,
    patient: Patient,
    actor: User,
    log_date: dt.date,
    entry: DailyLog | None = None,
    version: dt.datetime | None = None,
    form_token: uuid.UUID | None = None,
    **fields: Any,
) -> DailyLog:
    """Create the actor's entry for ``log_date`` or save changes to ``entry`` (theirs).

    A repeated create (same token) raises ``AlreadyCreated``; a second create
    for the same day from another form raises ``DayTaken``; a save over
    someone's newer save raises ``EditConflict``.
    """
    require(patient, Area.LOGS, Level.WRITE)
    _check_content(fields)
    if entry is None:
        created = DailyLog(
            id=form_token or uuid.uuid4(),
            patient=patient,
            created_by=actor,
            log_date=log_date,
            **fields,
        )
        created.full_clean(validate_unique=False, validate_constraints=False)
        try:
            insert_once(created, mine=DailyLog.objects.filter(patient=patient))
        except IntegrityError as error:
            if constraint_name(error) != "daily_logs_patient_date_author_key":
                raise
            raise DayTaken(
                DailyLog.objects.get(patient=patient, log_date=log_date, created_by=actor)
            ) from None
        return created
    current = DailyLog.objects.select_for_update().filter(pk=entry.pk, patient=patient).first()
    if current is None:
        raise DailyLog.DoesNotExist
    if current.created_by_id != actor.pk:
        raise PermissionDenied
    if version is None:
        # A form shown before the entry existed: submitted twice, or from another window.
        if form_token == current.pk:
            raise AlreadyCreated(current.pk)
        raise DayTaken(current)
    check_version(current, version, fields)
    for name, value in fields.items():
        setattr(current, name, value)
    current.full_clean(validate_unique=False, validate_constraints=False)
    current.save()
    return current


@transaction.atomic
def entry_delete(*, patient: Patient, actor: User, entry: DailyLog) -> None:
    require(patient, Area.LOGS, Level.WRITE)
    if entry.created_by_id != actor.pk and not can(patient, Area.PATIENT, Level.MANAGE):
        raise PermissionDenied
    # Its photos and documents stay with the patient (DESIGN.md "Deletes").
    files_detach(log=entry)
    DailyLog.objects.filter(pk=entry.pk, patient=patient).delete()
