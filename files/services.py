"""Writing files: upload (checked, cleaned, stored privately), rename, delete,
detach, share and revoke. Reads are in ``selectors``; serving in ``serving``."""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, connection, transaction
from django.db.models import Sum
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from caregivers.models import PatientCaregiver
from files import inspect
from files.models import File, FileShare
from journal.models import DailyLog
from measurements.models import Measurement
from medtrack.db import check_version, constraint_name
from medtrack.rls import system_context
from notifications.models import Type
from notifications.services import notify
from patients.access import Area, Level, require
from patients.models import Patient

MB = 1024 * 1024


@dataclass
class Uploaded:
    saved: list[File] = field(default_factory=list)
    #: (name, why) for each file that was not kept.
    refused: list[tuple[str, str]] = field(default_factory=list)


def max_bytes() -> int:
    return settings.FILE_MAX_MB * MB


def quota_bytes() -> int:
    return settings.FILE_PATIENT_QUOTA_MB * MB


def used_bytes(patient: Patient) -> int:
    documents = File.objects.documents().filter(patient=patient)
    return documents.aggregate(used=Sum("size"))["used"] or 0


def _lock_patient_files(patient: Patient) -> None:
    """One upload at a time per patient, so two cannot both fit the last of the quota."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(hashtext('files:' || %s))", [str(patient.pk)])


def files_upload(
    *,
    patient: Patient,
    actor: User,
    uploads: Iterable[UploadedFile],
    form_token: uuid.UUID,
    measurement: Measurement | None = None,
    log: DailyLog | None = None,
    keep_location: bool = False,
) -> Uploaded:
    """Keep each upload that is safe and fits; say why for each one that is not.
    Each file's id comes from the form's token, its place and its content, so the
    same form sent twice keeps each file once."""
    require(patient, Area.FILES, Level.WRITE)
    result = Uploaded()
    stored: list[File] = []
    try:
        with transaction.atomic():
            _lock_patient_files(patient)
            used = used_bytes(patient)
            for position, upload in enumerate(uploads):
                name = inspect.clean_name(upload.name or "")
                key = f"{patient.pk}:{form_token}:{position}"
                try:
                    file = _keep(patient, actor, upload, name, key, used, keep_location)
                except ValidationError as error:
                    result.refused.append((name, " ".join(error.messages)))
                    continue
                if file._state.adding:
                    stored.append(file)
                    file.measurement, file.log = measurement, log
                    _insert(file)
                    used += file.size or 0
                result.saved.append(file)
    except Exception:
        for file in stored:  # the rows were rolled back: so go their objects
            _remove_stored(file)
        raise
    return result


def _keep(
    patient: Patient,
    actor: User,
    upload: UploadedFile,
    name: str,
    key: str,
    used: int,
    keep_location: bool,
) -> File:
    size = upload.size or 0
    if size > max_bytes():
        raise ValidationError(
            _("%(name)s is %(size)s; the limit is %(limit)s per file.")
            % {"name": name, "size": filesizeformat(size), "limit": filesizeformat(max_bytes())}
        )
    if size == 0:
        raise ValidationError(_("%(name)s is empty.") % {"name": name})
    found = inspect.inspect(upload, name, keep_location=keep_location)
    # The form's token, the file's place in the form and its content: sent again, the same id.
    file_id = uuid.uuid5(uuid.NAMESPACE_URL, f"{key}:{found.metadata['sha256']}")
    existing = File.objects.filter(pk=file_id, patient=patient).first()
    if existing is not None:  # the same form sent again
        return existing
    stored_size = len(found.cleaned) if found.cleaned is not None else size
    if used + stored_size > quota_bytes():
        raise ValidationError(
            _(
                "%(name)s does not fit: %(patient)s's files may take up to %(quota)s and "
                "%(left)s is left. Delete files you no longer need, or ask the operator."
            )
            % {
                "name": name,
                "patient": patient.name,
                "quota": filesizeformat(quota_bytes()),
                "left": filesizeformat(max(0, quota_bytes() - used)),
            }
        )
    folder = f"patients/{patient.pk}"
    filename = f"{file_id}{found.extension}"
    content = ContentFile(found.cleaned) if found.cleaned is not None else upload
    upload.seek(0)
    storage_path = default_storage.save(f"{folder}/{filename}", content)
    if found.thumbnail is not None:
        found.metadata["thumbnail"] = default_storage.save(
            f"{folder}/thumbnails/{file_id}.webp", ContentFile(found.thumbnail)
        )
    stem = name.rsplit(".", 1)[0] if "." in name else name
    return File(
        id=file_id,
        patient=patient,
        file_name=stem or name,
        original_name=name,
        filename=filename,
        mime_type=found.mime_type,
        size=stored_size,
        storage_path=storage_path,
        url=None,  # private: served only through the checked views
        metadata=found.metadata,
        uploaded_by=actor,
    )


def _insert(file: File) -> None:
    with transaction.atomic():
        file.save(force_insert=True)


def _remove_stored(file: File) -> None:
    for path in (file.storage_path, file.metadata.get("thumbnail")):
        if path:
            default_storage.delete(path)


@transaction.atomic
def file_update(
    *,
    patient: Patient,
    actor: User,
    file: File,
    file_name: str,
    note: str,
    version: dt.datetime | None = None,
) -> File:
    """Rename and annotate (refused over someone else's newer save)."""
    require(patient, Area.FILES, Level.WRITE)
    current = File.objects.select_for_update().get(pk=file.pk, patient=patient)
    values = {"file_name": inspect.clean_name(file_name), "note": note}
    check_version(current, version, values)
    for name, value in values.items():
        setattr(current, name, value)
    current.save(update_fields=[*values, "updated_at"])
    return current


def file_delete(*, patient: Patient, actor: User, file: File) -> None:
    """Delete the row now and the stored objects once that is committed."""
    require(patient, Area.FILES, Level.WRITE)
    deleted, _by_model = File.objects.filter(pk=file.pk, patient=patient).delete()
    if deleted:
        transaction.on_commit(lambda: _remove_stored(file))


def files_detach(*, measurement: Measurement | None = None, log: DailyLog | None = None) -> int:
    """Before a reading or entry is deleted: its files stay with the patient. In
    system context: the foreign key needs it even when the deleting member may
    not see files (the caller has checked their right to delete the reading)."""
    with system_context("detach files"):
        if measurement is not None:
            return File.objects.filter(measurement=measurement).update(measurement=None)
        if log is not None:
            return File.objects.filter(log=log).update(log=None)
    return 0


def files_purge(patient_id: uuid.UUID) -> int:
    """The purge job, before deleting a patient (system context): its stored
    objects, then its rows (the plan's foreign keys have no ON DELETE action)."""
    files = list(File.objects.filter(patient_id=patient_id))
    File.objects.filter(patient_id=patient_id).delete()

    def remove() -> None:
        for file in files:
            _remove_stored(file)

    transaction.on_commit(remove)  # not before the patient's deletion is committed
    return len(files)


# -- Sharing -------------------------------------------------------------------------


def file_share(
    *,
    patient: Patient,
    actor: User,
    file: File,
    email: str,
    expires_at: dt.datetime | None,
    now: dt.datetime | None = None,
) -> FileShare:
    """Let one person (not on the team) read this one file, until ``expires_at``.
    Sharing again with the same person renews the share."""
    require(patient, Area.FILES, Level.WRITE)
    now = now or timezone.now()
    person = User.objects.filter(email__iexact=email.strip(), is_active=True).first()
    if person is None:
        raise ValidationError(
            _(
                "Nobody with a MedTrack account uses %(email)s. Ask them to sign up "
                "first (or invite them to the care team)."
            )
            % {"email": email},
            code="no_account",
        )
    if person.pk == actor.pk:
        raise ValidationError(_("You can already see this file."), code="self")
    if PatientCaregiver.objects.filter(patient=patient, caregiver=person, is_active=True).exists():
        raise ValidationError(
            _("%(name)s is on the care team and can already see the patient's files.")
            % {"name": person.name},
            code="member",
        )
    if expires_at is not None and expires_at <= now:
        raise ValidationError(_("Choose a time in the future."), code="past")
    live = FileShare.objects.filter(file=file, shared_with=person, revoked_at__isnull=True)
    share = live.select_for_update().first()
    if share is not None:
        live.update(expires_at=expires_at)
        share.expires_at = expires_at
    else:
        share = FileShare(
            file=file,
            shared_with=person,
            shared_by=actor,
            permissions={"read": True},
            expires_at=expires_at,
        )
        try:
            with transaction.atomic():
                share.save(force_insert=True)
        except IntegrityError as error:  # shared at the same moment by someone else
            if constraint_name(error) != "file_shares_one_live_per_person":
                raise
            share = live.get()
    notify(
        [person.pk],
        type=Type.FILE_SHARED,
        key=f"file_shared:{share.pk}:{hashlib.sha256(str(expires_at).encode()).hexdigest()[:8]}",
        title=lambda: _("%(person)s shared a document with you") % {"person": actor.name},
        body=lambda: file.file_name,
        url=reverse("files:shared_detail", args=[file.pk]),
        data={"file_id": str(file.pk)},
        now=now,
    )
    return share


def share_revoke(
    *, patient: Patient, actor: User, share: FileShare, now: dt.datetime | None = None
) -> None:
    """Takes effect at once: the next request of the person shared with gets 404."""
    require(patient, Area.FILES, Level.WRITE)
    FileShare.objects.filter(pk=share.pk, revoked_at__isnull=True).update(
        revoked_at=now or timezone.now()
    )
