"""Export jobs: requested on the page, made by the task worker (pending → running
→ completed or failed), kept as a private file for ``EXPORT_KEEP_DAYS``, then
expired by the job runner. Each export and each download is in the access log."""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.http import Http404
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.models import User
from audit.services import access_log_record
from exports import data, fhir
from exports.models import ExportJob, Format, Status
from files.models import File
from medtrack.rls import acting_as, system_context
from notifications.models import Type
from notifications.services import notify
from patients.access import Area, Level, get_patient_for_user, require
from patients.models import Patient

logger = logging.getLogger("medtrack.exports")

#: What each format makes: (bytes, MIME type, extension).
Builder = Callable[[data.Record], bytes]
MAX_DAYS = 3 * 366


def _pdf(record: data.Record) -> bytes:
    from exports.pdf import to_pdf

    return to_pdf(record)


BUILDERS: dict[str, tuple[Builder, str, str]] = {
    Format.PDF: (_pdf, "application/pdf", "pdf"),
    Format.CSV: (data.to_csv_zip, "application/zip", "zip"),
    Format.JSON: (data.to_json, "application/json", "json"),
    Format.FHIR: (fhir.to_fhir_json, "application/fhir+json", "json"),
}


def export_request(
    *,
    patient: Patient,
    actor: User,
    format: str,
    date_from: dt.date,
    date_to: dt.date,
    job_id: uuid.UUID | None = None,
) -> ExportJob:
    """A new export, queued for the worker (a double submit makes one)."""
    require(patient, Area.EXPORTS, Level.WRITE)
    if date_from > date_to:
        raise ValidationError(_("The start must be on or before the end."))
    if (date_to - date_from).days > MAX_DAYS:
        raise ValidationError(_("Choose at most three years at once."))
    existing = ExportJob.objects.filter(pk=job_id, patient=patient).first() if job_id else None
    if existing is not None:
        return existing
    job = ExportJob(
        id=job_id or uuid.uuid4(),
        patient=patient,
        requested_by=actor,
        format=format,
        date_from=date_from,
        date_to=date_to,
    )
    try:
        with transaction.atomic():
            job.save(force_insert=True)
    except IntegrityError:  # the same form, sent twice at once
        return ExportJob.objects.get(pk=job.pk, patient=patient)
    from exports.tasks import run_export

    run_export.enqueue(str(job.pk))
    return job


def export_run(job_id: uuid.UUID, *, now: dt.datetime | None = None) -> str:
    """Make one export (the task; system context). Claimed under a row lock, so two
    workers never make it twice; on any error the job says so and nothing half-made
    is kept."""
    now = now or timezone.now()
    with system_context("export: claim"):
        job = (
            ExportJob.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(pk=job_id, status=Status.PENDING)
            .select_related("patient", "requested_by__settings")
            .first()
        )
        if job is None:
            return "nothing to do"
        ExportJob.objects.filter(pk=job.pk).update(
            status=Status.RUNNING, started_at=now, updated_at=now
        )
    stored = ""
    try:
        build, mime, extension = BUILDERS[job.format]
        # Read as the person who asked: what their permissions exclude (readings,
        # the journal…) stays out, by the policy and by row level security.
        # In the language of the person who asked (the worker has none of its own).
        with acting_as(job.requested_by_id), translation.override(job.requested_by.language):
            patient = get_patient_for_user(job.requested_by, job.patient_id, Area.EXPORTS)
            content = build(data.collect(patient, job.date_from, job.date_to))
        with system_context(f"export:{job.pk}"):
            stamp = f"{job.date_from:%Y%m%d}-{job.date_to:%Y%m%d}"
            name = f"{job.patient.first_name or 'patient'}-{job.format}-{stamp}"
            stored = default_storage.save(
                f"patients/{job.patient_id}/exports/{job.pk}.{extension}", ContentFile(content)
            )
            file = File.objects.create(
                patient=job.patient,
                file_name=name,
                original_name=f"{name}.{extension}",
                filename=f"{job.pk}.{extension}",
                mime_type=mime,
                size=len(content),
                storage_path=stored,
                metadata={"export": str(job.pk), "format": job.format},
                uploaded_by=job.requested_by,
            )
            done = timezone.now()
            ExportJob.objects.filter(pk=job.pk).update(
                status=Status.COMPLETED,
                file=file,
                completed_at=done,
                expires_at=done + dt.timedelta(days=settings.EXPORT_KEEP_DAYS),
                updated_at=done,
            )
            access_log_record(
                request=None,
                action="export",
                actor=job.requested_by,
                patient_id=job.patient_id,
                object_type=f"export:{job.format}",
                object_id=str(job.pk),
            )
    except Exception as error:
        logger.exception("Export %s failed", job.pk)
        if stored:
            default_storage.delete(stored)
        reason = (
            _("you can no longer export this patient's record")
            if isinstance(error, Http404 | PermissionDenied)
            else _("something went wrong while making it")
        )
        with system_context("export: failed"):
            ExportJob.objects.filter(pk=job.pk).update(
                status=Status.FAILED,
                error=_("The export could not be made (%(reason)s). Please try again.")
                % {"reason": reason},
                completed_at=timezone.now(),
                updated_at=timezone.now(),
            )
        raise
    notify(
        [job.requested_by_id] if job.requested_by_id else [],
        type=Type.EXPORT_READY,
        key=f"export_ready:{job.pk}",
        title=lambda: _("Your export for %(name)s is ready") % {"name": job.patient.name},
        body=lambda: str(Format(job.format).label),
        url=reverse("exports:list", args=[job.patient_id]),
        patient=job.patient,
    )
    return "completed"


#: An export being made longer than this lost its worker (killed, restarted).
STUCK = dt.timedelta(minutes=30)


def exports_expire(*, now: dt.datetime, dry_run: bool = False) -> int:
    """The job runner: delete the files of exports past their time, and fail those
    whose worker died while making them (with whatever they had stored).
    ``dry_run`` counts the exports whose files would go and changes nothing."""
    with system_context("expire exports"):
        if dry_run:
            return ExportJob.objects.filter(status=Status.COMPLETED, expires_at__lte=now).count()
        for job in ExportJob.objects.filter(status=Status.RUNNING, started_at__lt=now - STUCK):
            extension = BUILDERS[job.format][2]
            default_storage.delete(f"patients/{job.patient_id}/exports/{job.pk}.{extension}")
            ExportJob.objects.filter(pk=job.pk, status=Status.RUNNING).update(
                status=Status.FAILED,
                error=_("The export could not be made (it took too long). Please try again."),
                completed_at=now,
                updated_at=now,
            )
        due = list(
            ExportJob.objects.filter(status=Status.COMPLETED, expires_at__lte=now).select_related(
                "file"
            )
        )
        files = [job.file for job in due if job.file is not None]
        File.objects.filter(pk__in=[file.pk for file in files]).delete()
        ExportJob.objects.filter(pk__in=[job.pk for job in due]).update(
            status=Status.EXPIRED, file=None, updated_at=now
        )

        def remove() -> None:
            for file in files:
                if file.storage_path:
                    default_storage.delete(file.storage_path)

        transaction.on_commit(remove)  # the objects go once the rows are gone for good
    return len(due)
