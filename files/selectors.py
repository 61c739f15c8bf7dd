"""Reading files: a patient's list (filtered, a page at a time), one file for a
member, one file for the person it was shared with, and "Shared with me"."""

from __future__ import annotations

import uuid

from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone

from accounts.models import User
from files.models import KIND_MIME_TYPES, File, FileShare, Kind
from medtrack import keyset
from patients.models import Patient

PAGE = 30


class Attached:
    ANY = ""
    MEASUREMENT = "measurement"
    JOURNAL = "journal"
    NONE = "none"


def patient_files(
    patient: Patient, *, kind: str = "", attached: str = "", cursor: str | None = None
) -> keyset.Page[File]:
    """One query, whatever the number of files."""
    files = (
        File.objects.documents()
        .filter(patient=patient)
        .select_related("uploaded_by", "measurement", "log")
    )
    if kind in Kind.values:
        files = files.filter(mime_type__in=KIND_MIME_TYPES[Kind(kind)])
    if attached == Attached.MEASUREMENT:
        files = files.filter(measurement__isnull=False)
    elif attached == Attached.JOURNAL:
        files = files.filter(log__isnull=False)
    elif attached == Attached.NONE:
        files = files.filter(measurement__isnull=True, log__isnull=True)
    return keyset.page(files, field="uploaded_at", cursor=cursor, size=PAGE)


def patient_file(patient: Patient, file_id: uuid.UUID) -> File:
    found = (
        File.objects.documents()
        .filter(pk=file_id, patient=patient)
        .select_related("uploaded_by", "measurement", "log")
        .first()
    )
    if found is None:
        raise Http404
    return found


def live_shares(file: File) -> QuerySet[FileShare]:
    return (
        FileShare.objects.active(timezone.now())
        .filter(file=file)
        .select_related("shared_with", "shared_by")
        .order_by("created_at")
    )


def shared_with(user: User) -> QuerySet[FileShare]:
    """Files shared with ``user`` by live shares (the database agrees: RLS)."""
    return (
        FileShare.objects.active(timezone.now())
        .filter(shared_with=user)  # (RLS hides files of deleted patients)
        .select_related("file", "shared_by")
        .order_by("-created_at")
    )


def shared_file(user: User, file_id: uuid.UUID) -> tuple[File, FileShare]:
    """A file shared with ``user``, or 404 (a revoked or expired share at once)."""
    share = shared_with(user).filter(file_id=file_id).first()
    if share is None:
        raise Http404
    return share.file, share


def patient_files_queryset(patient: Patient) -> QuerySet[File]:
    return File.objects.documents().filter(patient=patient)


def attachments(
    patient: Patient, files: QuerySet[File], **attach_to: uuid.UUID
) -> dict[str, object]:
    """For a reading's or journal entry's page: its files, if the member may see
    files, and whether they may add one (the upload link carries ``attach_to``)."""
    from django.urls import reverse
    from django.utils.http import urlencode

    from patients.access import Area, Level, can

    if not can(patient, Area.FILES, Level.READ):
        return {}
    query = urlencode({name: str(value) for name, value in attach_to.items()})
    upload = reverse("files:upload", args=[patient.pk]) + "?" + query
    return {
        "attached_files": list(files.order_by("uploaded_at")),
        "attach_url": upload if can(patient, Area.FILES, Level.WRITE) else "",
    }
