"""Patients (plan §2): the people a care team looks after."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import pghistory
from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from medtrack import fields


class Gender(models.TextChoices):
    FEMALE = "female", _("Female")
    MALE = "male", _("Male")
    OTHER = "other", _("Other")


class PatientQuerySet(models.QuerySet["Patient"]):
    def active(self) -> PatientQuerySet:
        return self.filter(is_deleted=False)

    def deleted(self) -> PatientQuerySet:
        return self.filter(is_deleted=True)

    def restorable(self, now: dt.datetime) -> PatientQuerySet:
        return self.deleted().filter(deleted_at__gte=now - retention())

    def purgeable(self, now: dt.datetime) -> PatientQuerySet:
        return self.deleted().filter(deleted_at__lt=now - retention())


def retention() -> dt.timedelta:
    return dt.timedelta(days=settings.PATIENT_RETENTION_DAYS)


@pghistory.track(meta=fields.history_indexes("patient", patient_field="pgh_obj"))
class Patient(models.Model):
    """Someone cared for by a team of caregivers (``caregivers.PatientCaregiver``).

    1. ``(name, dob)`` is unique across MedTrack, as the plan requires; the
       error necessarily reveals that such a patient exists, so it points at
       the remedy (ask their primary caregiver for an invitation).
    2. Deleting is soft (``is_deleted``, ``deleted_at``): a primary can restore
       within ``PATIENT_RETENTION_DAYS``; ``purge_deleted_patients`` deletes for
       good after that, and the database cascades to every patient-scoped row.
    3. ``timezone`` is the IANA zone every time of this patient is shown in.
    """

    id = fields.uuid_pk()
    name = models.TextField(_("name"))
    dob = models.DateField(_("date of birth"))
    gender = models.TextField(_("gender"), choices=Gender.choices)
    allergies = fields.text_list(verbose_name=_("allergies"))
    medical_conditions = fields.text_list(verbose_name=_("medical conditions"))
    emergency_contact = models.JSONField(_("emergency contact"))
    timezone = fields.TextField(_("time zone"), default="UTC", db_default="UTC")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.DO_NOTHING,
        db_column="created_by",
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = fields.created_at(verbose_name=_("created"))
    updated_at = fields.updated_at(verbose_name=_("updated"))
    is_deleted = fields.BooleanField(_("deleted"), default=False, db_default=False)
    deleted_at = models.DateTimeField(_("deleted at"), null=True, blank=True)

    objects = PatientQuerySet.as_manager()

    class Meta:
        db_table = "patients"
        verbose_name = _("patient")
        verbose_name_plural = _("patients")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["name", "dob"], name="patients_name_dob_key"),
            models.CheckConstraint(
                condition=models.Q(gender__in=Gender.values), name="patients_gender_check"
            ),
            models.CheckConstraint(
                condition=models.Q(is_deleted=False) | models.Q(deleted_at__isnull=False),
                name="patients_deleted_at_check",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def age(self) -> int:
        today = timezone.localdate()
        return (
            today.year
            - self.dob.year
            - ((today.month, today.day) < (self.dob.month, self.dob.day))
        )

    @property
    def zone(self) -> ZoneInfo:
        """The zone every time of this patient is shown and scheduled in."""
        return ZoneInfo(self.timezone)

    def today(self, now: dt.datetime | None = None) -> dt.date:
        """The patient's own date at ``now`` (by default, now)."""
        return (now or timezone.now()).astimezone(self.zone).date()

    @property
    def first_name(self) -> str:
        """What an e-mail may say about the patient (e-mail is not a private channel)."""
        return self.name.split()[0] if self.name.split() else ""

    @property
    def contact(self) -> dict[str, Any]:
        return self.emergency_contact or {}

    def restorable_until(self) -> dt.datetime | None:
        return self.deleted_at + retention() if self.deleted_at else None
