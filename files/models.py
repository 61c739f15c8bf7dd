"""Documents and photos (plan §10): ``files`` and ``file_shares``, exactly as
planned, plus a note, an update time and a share's expiry and revocation."""

from __future__ import annotations

import datetime as dt

import pghistory
from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from medtrack import fields


class Kind(models.TextChoices):
    """What the list filters by, from the detected type."""

    PHOTO = "photo", _("Photos")
    PDF = "pdf", _("PDF documents")
    TEXT = "text", _("Text")


KIND_MIME_TYPES = {
    Kind.PHOTO: ["image/jpeg", "image/png", "image/webp", "image/heic", "image/heif"],
    Kind.PDF: ["application/pdf"],
    Kind.TEXT: ["text/plain"],
}


class FileQuerySet(models.QuerySet["File"]):
    def documents(self) -> FileQuerySet:
        """What people uploaded: not the files exports made (those are reached
        only from the Exports page, by the person who asked, and use no quota)."""
        return self.exclude(metadata__has_key="export")


@pghistory.track(meta=fields.history_indexes("file"))
class File(models.Model):
    id = fields.uuid_pk()
    # The plan's foreign keys have no ON DELETE action: the purge deletes a
    # patient's files first, and deleting a reading or entry detaches them.
    patient = models.ForeignKey(
        "patients.Patient",
        on_delete=models.DO_NOTHING,
        null=True,
        related_name="+",
        verbose_name=_("patient"),
        db_index=False,
    )
    measurement = models.ForeignKey(
        "measurements.Measurement",
        on_delete=models.DO_NOTHING,
        null=True,
        blank=True,
        related_name="files",
        verbose_name=_("reading"),
        db_index=False,
    )
    log = models.ForeignKey(
        "journal.DailyLog",
        on_delete=models.DO_NOTHING,
        null=True,
        blank=True,
        related_name="files",
        verbose_name=_("journal entry"),
        db_index=False,
    )
    #: The name people see (renamable).
    file_name = fields.TextField(_("name"))
    #: The name it was uploaded with, as sent (cleaned of control characters).
    original_name = models.TextField(_("uploaded as"), null=True, blank=True)  # noqa: DJ001
    #: The generated, safe name it is stored under: "<id>.<ext>".
    filename = models.TextField(_("stored as"), null=True, blank=True)  # noqa: DJ001
    #: Detected from the content, never from the browser or the extension.
    mime_type = fields.TextField(_("type"))
    size = models.BigIntegerField(_("size in bytes"), null=True)
    storage_path = models.TextField(_("storage path"), null=True, blank=True)  # noqa: DJ001
    #: Empty: files are private and only reached through the checked view.
    url = models.TextField(_("public URL"), null=True, blank=True)  # noqa: DJ001
    metadata = fields.JSONField(_("details"), default=dict, db_default={}, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.DO_NOTHING,
        db_column="uploaded_by",
        null=True,
        related_name="+",
        verbose_name=_("uploaded by"),
        db_index=False,
    )
    uploaded_at = fields.created_at(verbose_name=_("uploaded"))
    note = fields.TextField(_("note"), blank=True, default="", db_default="")
    updated_at = fields.updated_at(verbose_name=_("updated"))

    objects = FileQuerySet.as_manager()

    class Meta:
        db_table = "files"
        verbose_name = _("file")
        verbose_name_plural = _("files")
        indexes = [
            models.Index(fields=["patient"], name="idx_files_patient_id"),
            models.Index(fields=["measurement"], name="idx_files_measurement_id"),
            models.Index(fields=["log"], name="idx_files_log_id"),
            # The list: a patient's files, newest first (keyset).
            models.Index("patient", F("uploaded_at").desc(), "id", name="files_patient_uploaded"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(size__gte=0), name="files_size_check"),
        ]

    def __str__(self) -> str:
        return self.file_name

    @property
    def kind(self) -> Kind | None:
        for kind, types in KIND_MIME_TYPES.items():
            if self.mime_type in types:
                return kind
        return None

    @property
    def kind_label(self) -> str:
        labels = {Kind.PHOTO: _("Photo"), Kind.PDF: _("PDF document"), Kind.TEXT: _("Text")}
        return str(labels[self.kind]) if self.kind else self.mime_type

    @property
    def is_image(self) -> bool:
        return self.kind == Kind.PHOTO

    @property
    def previews_inline(self) -> bool:
        """Images and PDFs open in the browser; the rest downloads."""
        return self.kind in (Kind.PHOTO, Kind.PDF)


class ShareQuerySet(models.QuerySet["FileShare"]):
    def active(self, now: dt.datetime) -> ShareQuerySet:
        return self.filter(revoked_at__isnull=True).filter(
            Q(expires_at__isnull=True) | Q(expires_at__gt=now)
        )


@pghistory.track()
class FileShare(models.Model):
    id = fields.uuid_pk()
    file = models.ForeignKey(
        File,
        on_delete=models.DB_CASCADE,
        related_name="shares",
        verbose_name=_("file"),
        db_index=False,
    )
    shared_with = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.DO_NOTHING,
        db_column="shared_with",
        related_name="+",
        verbose_name=_("shared with"),
        db_index=False,
    )
    #: {"read": true}: what the share allows (reading is all there is today).
    permissions = fields.JSONField(
        _("permissions"), default=dict, db_default={}, blank=True, null=True
    )
    shared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.DO_NOTHING,
        db_column="shared_by",
        null=True,
        related_name="+",
        verbose_name=_("shared by"),
        db_index=False,
    )
    created_at = fields.created_at(verbose_name=_("shared"))
    expires_at = models.DateTimeField(_("until"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    objects = ShareQuerySet.as_manager()

    class Meta:
        db_table = "file_shares"
        verbose_name = _("file share")
        verbose_name_plural = _("file shares")
        indexes = [
            models.Index(fields=["file"], name="idx_file_shares_file_id"),
            models.Index(fields=["shared_with"], name="idx_file_shares_shared_with"),
        ]
        constraints = [
            # One live share per file and person: sharing again extends it.
            models.UniqueConstraint(
                fields=["file", "shared_with"],
                condition=Q(revoked_at__isnull=True),
                name="file_shares_one_live_per_person",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.file_id} → {self.shared_with_id}"
