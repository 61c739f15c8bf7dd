"""Appointments (DESIGN.md §B.7): visits, tests and calls, with who takes the patient."""

from __future__ import annotations

import datetime as dt

import pghistory
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from medtrack import fields


class Kind(models.TextChoices):
    CHECKUP = "checkup", _("Check-up")
    SPECIALIST = "specialist", _("Specialist")
    LAB = "lab", _("Lab test")
    IMAGING = "imaging", _("Imaging")
    THERAPY = "therapy", _("Therapy")
    DENTAL = "dental", _("Dental")
    VISION = "vision", _("Eyes")
    PROCEDURE = "procedure", _("Procedure")
    TELEHEALTH = "telehealth", _("Video or phone call")
    OTHER = "other", _("Other")


class Status(models.TextChoices):
    SCHEDULED = "scheduled", _("Scheduled")
    COMPLETED = "completed", _("Done")
    CANCELLED = "cancelled", _("Cancelled")
    MISSED = "missed", _("Missed")


DEFAULT_REMINDERS = [1440, 60]
#: The reminders a caregiver can choose, in minutes before the start.
REMINDER_CHOICES = [
    (10080, _("1 week before")),
    (2880, _("2 days before")),
    (1440, _("1 day before")),
    (180, _("3 hours before")),
    (60, _("1 hour before")),
    (30, _("30 minutes before")),
]


def default_reminders() -> list[int]:
    return list(DEFAULT_REMINDERS)


@pghistory.track(meta=fields.history_indexes("appointment"))
class Appointment(models.Model):
    id = fields.uuid_pk()
    patient = fields.patient_fk()
    title = fields.TextField(_("what"))
    appointment_type = fields.TextField(
        _("type"), choices=Kind.choices, default=Kind.CHECKUP, db_default="checkup"
    )
    provider_name = fields.TextField(_("with"), blank=True, default="", db_default="")
    location = fields.TextField(_("where"), blank=True, default="", db_default="")
    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"), null=True, blank=True)
    status = fields.TextField(
        _("status"), choices=Status.choices, default=Status.SCHEDULED, db_default="scheduled"
    )
    #: Minutes before the start to remind the team (the notifications issue sends them).
    reminder_minutes = fields.ArrayField(
        models.IntegerField(),
        verbose_name=_("reminders"),
        default=default_reminders,
        db_default=DEFAULT_REMINDERS,
        blank=True,
    )
    escort = fields.author_fk(_("who takes them"))
    notes = fields.TextField(_("notes"), blank=True, default="", db_default="")
    outcome = fields.TextField(_("outcome"), blank=True, default="", db_default="")
    #: The iCalendar SEQUENCE: goes up with every change calendar apps should pick up.
    sequence = models.PositiveIntegerField(_("revision"), default=0, db_default=0)
    created_by = fields.author_fk(_("added by"))
    created_at = fields.created_at(verbose_name=_("created"))
    updated_at = fields.updated_at(verbose_name=_("updated"))

    class Meta:
        db_table = "appointments"
        verbose_name = _("appointment")
        verbose_name_plural = _("appointments")
        ordering = ["starts_at"]
        indexes = [
            models.Index(fields=["patient", "starts_at"], name="appointments_patient_start")
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(appointment_type__in=Kind.values), name="appointments_type_check"
            ),
            models.CheckConstraint(
                condition=Q(status__in=Status.values), name="appointments_status_check"
            ),
            models.CheckConstraint(
                condition=Q(ends_at__isnull=True) | Q(ends_at__gt=F("starts_at")),
                name="appointments_ends_after_start",
            ),
            models.CheckConstraint(condition=~Q(title=""), name="appointments_title_check"),
        ]

    def __str__(self) -> str:
        return f"{self.title} @ {self.starts_at}"

    def clean(self) -> None:
        problems = time_problems(self.starts_at, self.ends_at)
        if problems:
            raise ValidationError(problems)


def time_problems(starts: dt.datetime | None, ends: dt.datetime | None) -> dict[str, str]:
    """An appointment's times, by field (the web form and every other writer)."""
    if not (starts and ends):
        return {}
    if ends <= starts:
        return {"ends_at": str(_("The end must be after the start."))}
    if ends - starts > dt.timedelta(days=14):
        return {"ends_at": str(_("Please check the end: that is more than two weeks."))}
    return {}
