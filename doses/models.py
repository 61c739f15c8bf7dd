"""Doses (DESIGN.md §B.4): every dose due, given, skipped or missed."""

from __future__ import annotations

import pghistory
import pgtrigger
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from medtrack import fields


class DoseStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    TAKEN = "taken", _("Taken")
    SKIPPED = "skipped", _("Skipped")
    MISSED = "missed", _("Missed")


NOT_PENDING_NEW = ~pgtrigger.Q(new__status="pending")
NOT_PENDING_OLD = ~pgtrigger.Q(old__status="pending")


# History records changes of a dose's state, not the generator creating or
# withdrawing pending doses, which would double its writes (DESIGN.md "Dose history").
@pghistory.track(
    pghistory.InsertEvent(condition=NOT_PENDING_NEW),
    pghistory.UpdateEvent(),
    pghistory.DeleteEvent(condition=NOT_PENDING_OLD),
    meta=fields.history_indexes("dose"),
)
class Dose(models.Model):
    id = fields.uuid_pk()
    # Foreign keys lead the composite indexes below; their own indexes would
    # only slow down the generator's bulk inserts.
    patient = fields.patient_fk()
    medication = models.ForeignKey(
        "medications.Medication",
        on_delete=models.DB_CASCADE,
        related_name="doses",
        verbose_name=_("medication"),
        db_index=False,
    )
    schedule = models.ForeignKey(
        "medications.MedicationSchedule",
        on_delete=models.DB_SET_NULL,
        null=True,
        blank=True,
        related_name="doses",
        verbose_name=_("schedule"),
        db_index=False,
    )
    scheduled_for = models.DateTimeField(_("due"), null=True, blank=True)
    status = fields.TextField(
        _("state"), choices=DoseStatus.choices, default=DoseStatus.PENDING, db_default="pending"
    )
    taken_at = models.DateTimeField(_("taken at"), null=True, blank=True)
    amount = models.DecimalField(_("amount"), max_digits=10, decimal_places=3)
    recorded_by = fields.author_fk(_("recorded by"))
    skip_reason = fields.TextField(_("why skipped"), blank=True, default="", db_default="")
    notes = fields.TextField(_("notes"), blank=True, default="", db_default="")
    created_at = fields.created_at(verbose_name=_("created"))
    updated_at = fields.updated_at(verbose_name=_("updated"))

    class Meta:
        db_table = "doses"
        verbose_name = _("dose")
        verbose_name_plural = _("doses")
        ordering = ["scheduled_for"]
        indexes = [
            models.Index(fields=["patient", "scheduled_for"], name="doses_patient_due"),
            models.Index(fields=["medication", "scheduled_for"], name="doses_medication_due"),
            models.Index(
                fields=["scheduled_for"], condition=Q(status="pending"), name="doses_pending_due"
            ),
            # The missed-dose notifications: doses marked missed in the last hours, found
            # without visiting every patient's doses (bench/bench_jobs.py).
            models.Index(
                fields=["scheduled_for"], condition=Q(status="missed"), name="doses_missed_due"
            ),
            # As-needed doses by when they were given (the timeline, the 24-hour limits).
            models.Index(
                fields=["patient", "taken_at"],
                condition=Q(scheduled_for__isnull=True),
                name="doses_as_needed_taken",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["schedule", "scheduled_for"], name="doses_schedule_due_key"
            ),
            models.CheckConstraint(
                condition=Q(status__in=DoseStatus.values), name="doses_status_check"
            ),
            models.CheckConstraint(
                condition=~Q(status=DoseStatus.TAKEN) | Q(taken_at__isnull=False),
                name="doses_taken_at_check",
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="doses_amount_check"),
            models.CheckConstraint(
                condition=Q(schedule__isnull=True) | Q(scheduled_for__isnull=False),
                name="doses_scheduled_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.medication_id} @ {self.scheduled_for or self.taken_at} ({self.status})"
