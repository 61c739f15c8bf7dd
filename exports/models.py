"""Exports for the doctor and for other systems (DESIGN.md §B.12): a job per
request, run by the task worker, its result kept as a private file for a while."""

from __future__ import annotations

import pghistory
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from medtrack import fields


class Format(models.TextChoices):
    PDF = "pdf", _("PDF report for the doctor")
    CSV = "csv", _("CSV spreadsheets (zip)")
    JSON = "json", _("JSON")
    FHIR = "fhir", _("FHIR R4 bundle (for clinic systems)")


class Status(models.TextChoices):
    PENDING = "pending", _("Waiting")
    RUNNING = "running", _("Being made")
    COMPLETED = "completed", _("Ready")
    FAILED = "failed", _("Failed")
    EXPIRED = "expired", _("Expired")


@pghistory.track(meta=fields.history_indexes("export_job"))
class ExportJob(models.Model):
    id = fields.uuid_pk()
    patient = fields.patient_fk()
    requested_by = fields.author_fk(_("requested by"))
    format = fields.TextField(_("format"), choices=Format.choices)
    date_from = models.DateField(_("from"))
    date_to = models.DateField(_("to"))
    status = fields.TextField(
        _("status"), choices=Status.choices, default=Status.PENDING, db_default=Status.PENDING
    )
    file = models.ForeignKey(
        "files.File",
        on_delete=models.DB_SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("file"),
    )
    error = fields.TextField(_("error"), blank=True, default="", db_default="")
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    completed_at = models.DateTimeField(_("completed"), null=True, blank=True)
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)
    created_at = fields.created_at(verbose_name=_("requested"))
    updated_at = fields.updated_at(verbose_name=_("updated"))

    class Meta:
        db_table = "export_jobs"
        verbose_name = _("export")
        verbose_name_plural = _("exports")
        indexes = [
            models.Index("patient", F("created_at").desc(), name="export_jobs_patient_created"),
            models.Index(
                fields=["expires_at"], condition=Q(status="completed"), name="export_jobs_expiring"
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(format__in=Format.values), name="export_jobs_format_check"
            ),
            models.CheckConstraint(
                condition=Q(status__in=Status.values), name="export_jobs_status_check"
            ),
            models.CheckConstraint(
                condition=Q(date_from__lte=F("date_to")), name="export_jobs_dates_check"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.format} export of {self.patient_id}"
