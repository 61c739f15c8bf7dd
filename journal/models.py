"""The daily journal (DESIGN.md §B.6): one entry per patient, day and caregiver."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pghistory
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

from medtrack import fields

ONE_TO_FIVE = [MinValueValidator(1), MaxValueValidator(5)]


def _rating(verbose_name: StrOrPromise) -> models.PositiveSmallIntegerField:
    return models.PositiveSmallIntegerField(
        verbose_name, null=True, blank=True, validators=ONE_TO_FIVE
    )


@pghistory.track(meta=fields.history_indexes("daily_log"))
class DailyLog(models.Model):
    id = fields.uuid_pk()
    patient = fields.patient_fk()
    log_date = models.DateField(_("day"))
    mood = _rating(_("mood"))
    energy = _rating(_("energy"))
    appetite = _rating(_("appetite"))
    sleep_quality = _rating(_("sleep quality"))
    sleep_hours = models.DecimalField(
        _("hours slept"),
        max_digits=4,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(24)],
    )
    pain_level = models.PositiveSmallIntegerField(
        _("pain"),
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(10)],
    )
    symptoms = fields.text_list(verbose_name=_("symptoms"))
    activities = fields.text_list(verbose_name=_("activities"))
    notes = fields.TextField(_("notes"), blank=True, default="", db_default="")
    created_by = fields.author_fk(_("written by"), null=False)
    created_at = fields.created_at(verbose_name=_("created"))
    updated_at = fields.updated_at(verbose_name=_("updated"))

    class Meta:
        db_table = "daily_logs"
        verbose_name = _("journal entry")
        verbose_name_plural = _("journal entries")
        ordering = ["-log_date"]
        constraints = [
            # Its index also serves "a patient's entries by day".
            models.UniqueConstraint(
                fields=["patient", "log_date", "created_by"],
                name="daily_logs_patient_date_author_key",
            ),
            *(
                models.CheckConstraint(
                    condition=Q(**{f"{name}__isnull": True}) | Q(**{f"{name}__range": (1, 5)}),
                    name=f"daily_logs_{name}_range",
                )
                for name in ("mood", "energy", "appetite", "sleep_quality")
            ),
            models.CheckConstraint(
                condition=Q(sleep_hours__isnull=True) | Q(sleep_hours__range=(0, 24)),
                name="daily_logs_sleep_hours_check",
            ),
            models.CheckConstraint(
                condition=Q(pain_level__isnull=True) | Q(pain_level__range=(0, 10)),
                name="daily_logs_pain_level_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.log_date} by {self.created_by_id}"
