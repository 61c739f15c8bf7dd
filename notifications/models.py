"""Notifications (DESIGN.md §B.9): one per recipient and event, read in the inbox."""

from __future__ import annotations

import pghistory
from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from medtrack import fields


class Type(models.TextChoices):
    DOSE_DUE = "dose_due", _("Dose due")
    DOSE_MISSED = "dose_missed", _("Dose missed")
    REFILL_LOW = "refill_low", _("Refill soon")
    APPOINTMENT_UPCOMING = "appointment_upcoming", _("Appointment coming up")
    MEASUREMENT_OUT_OF_RANGE = "measurement_out_of_range", _("Reading outside the target")
    CAREGIVER_INVITED = "caregiver_invited", _("Invitation to a care team")
    CAREGIVER_JOINED = "caregiver_joined", _("Someone joined the care team")
    FILE_SHARED = "file_shared", _("Document shared")
    EXPORT_READY = "export_ready", _("Export ready")
    SYSTEM = "system", _("MedTrack")


#: Urgent types ignore quiet hours (DESIGN.md §B.9).
URGENT = frozenset({Type.DOSE_MISSED, Type.MEASUREMENT_OUT_OF_RANGE})


@pghistory.track(meta=fields.history_indexes("notification"))
class Notification(models.Model):
    id = fields.uuid_pk()
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.DB_CASCADE,
        related_name="notifications",
        verbose_name=_("recipient"),
        db_index=False,
    )
    patient = models.ForeignKey(
        "patients.Patient",
        on_delete=models.DB_CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("patient"),
        db_index=False,
    )
    type = fields.TextField(_("type"), choices=Type.choices)
    title = fields.TextField(_("title"))
    body = fields.TextField(_("text"), blank=True, default="", db_default="")
    url = fields.TextField(_("link"), blank=True, default="", db_default="")
    data = fields.JSONField(_("data"), default=dict, db_default={}, blank=True)
    #: One notification per recipient and event: the event's key (e.g. "dose_missed:<id>").
    dedupe_key = fields.TextField(_("event key"))
    read_at = models.DateTimeField(_("read"), null=True, blank=True)
    emailed_at = models.DateTimeField(_("e-mailed"), null=True, blank=True)
    created_at = fields.created_at(verbose_name=_("created"))

    class Meta:
        db_table = "notifications"
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        indexes = [
            models.Index(
                "user", "read_at", F("created_at").desc(), name="notifications_user_read_at"
            ),
            models.Index(fields=["patient"], name="notifications_patient"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "dedupe_key"], name="notifications_user_dedupe_key"
            ),
            models.CheckConstraint(
                condition=Q(type__in=Type.values), name="notifications_type_check"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.type} → {self.user_id}"
