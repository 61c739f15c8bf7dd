"""The sync API's tables: the change index the pull reads, the sync log, and the
per-token request counts behind the rate limit (DESIGN.md §B.12)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from medtrack import fields


class Change(models.Model):
    """The latest change of each synced record, kept by database triggers.

    One row per record (``entity``, ``entity_id``): every insert, update or
    delete of a synced table moves it forward to a new ``seq`` and the writing
    transaction's id (``txid``), or marks it ``deleted`` (a tombstone). The
    rows are written by a SECURITY DEFINER trigger function only; the app role
    may read them (row level security: the patients I am a member of) and
    write nothing. ``seq`` is also the record's version for conflict checks.
    """

    pk = models.CompositePrimaryKey("entity", "entity_id")
    entity = models.TextField()
    entity_id = models.UUIDField()
    patient_id = models.UUIDField()
    deleted = models.BooleanField(default=False)
    seq = models.BigIntegerField()
    txid = models.BigIntegerField()
    changed_at = models.DateTimeField()

    class Meta:
        db_table = "sync_changes"
        managed = True
        indexes = [models.Index(fields=["patient_id", "txid", "seq"], name="sync_changes_order")]

    def __str__(self) -> str:
        return f"{self.entity} {self.entity_id} @{self.seq}"


class Direction(models.TextChoices):
    PULL = "pull", _("Pull")
    PUSH = "push", _("Push")


class Outcome(models.TextChoices):
    OK = "ok", _("Done")
    PARTIAL = "partial", _("Done, with conflicts or errors")
    FAILED = "failed", _("Failed")


class SyncLog(models.Model):
    """One row per pull or push: who, with which token and client, what moved."""

    id = fields.uuid_pk()
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.DB_CASCADE,
        related_name="+",
        verbose_name=_("user"),
        db_index=False,
    )
    token = models.ForeignKey(
        "accounts.ApiToken",
        on_delete=models.DB_SET_NULL,
        null=True,
        related_name="sync_logs",
        verbose_name=_("token"),
    )
    client_id = fields.TextField(_("device"), blank=True, default="", db_default="")
    direction = fields.TextField(_("direction"), choices=Direction.choices)
    cursor_from = fields.TextField(_("cursor from"), blank=True, default="", db_default="")
    cursor_to = fields.TextField(_("cursor to"), blank=True, default="", db_default="")
    items = models.PositiveIntegerField(_("items"), default=0, db_default=0)
    applied = models.PositiveIntegerField(_("applied"), default=0, db_default=0)
    conflicts = models.PositiveIntegerField(_("conflicts"), default=0, db_default=0)
    errors_count = models.PositiveIntegerField(_("errors"), default=0, db_default=0)
    duration_ms = models.PositiveIntegerField(_("duration (ms)"), default=0, db_default=0)
    status = fields.TextField(_("status"), choices=Outcome.choices)
    errors = fields.JSONField(_("error details"), default=list, db_default=[], blank=True)
    created_at = fields.created_at(verbose_name=_("when"))

    class Meta:
        db_table = "sync_logs"
        verbose_name = _("sync log entry")
        verbose_name_plural = _("sync log")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["user", "-created_at"], name="sync_logs_user_idx")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(direction__in=Direction.values),
                name="sync_logs_direction_check",
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=Outcome.values), name="sync_logs_status_check"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.direction} {self.created_at:%Y-%m-%d %H:%M} {self.status}"


class RequestCount(models.Model):
    """Requests per token per minute, for the rate limit (written in system context)."""

    pk = models.CompositePrimaryKey("token_id", "window_start")
    token = models.ForeignKey(
        "accounts.ApiToken", on_delete=models.DB_CASCADE, related_name="+", db_index=False
    )
    window_start = models.DateTimeField()
    count = models.PositiveIntegerField(default=0)

    class Meta:
        db_table = "api_request_counts"

    def __str__(self) -> str:
        return f"{self.token_id} {self.window_start:%H:%M} {self.count}"
