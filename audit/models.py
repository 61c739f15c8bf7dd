"""The access log (DESIGN.md §B.1): who looked at what, logins, exports, downloads.

Writes to patient data are recorded by database triggers (django-pghistory);
reads and sign-ins are recorded here by the application. The app role may
only append: it can neither read, change nor delete a row (staff read it in
the admin, primaries through the Activity page, both in system context).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from medtrack import fields


class Action(models.TextChoices):
    VIEW = "view", _("Viewed")
    EXPORT = "export", _("Exported")
    DOWNLOAD = "download", _("Downloaded")
    LOGIN = "login", _("Logged in")
    LOGIN_FAILED = "login_failed", _("Failed login")
    LOGOUT = "logout", _("Logged out")
    BREAK_GLASS = "break_glass", _("Emergency access")
    ADMIN = "admin", _("Used the admin")


class AccessLog(models.Model):
    id = fields.uuid_pk()
    occurred_at = fields.created_at(verbose_name=_("when"), db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.DO_NOTHING,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("who"),
    )
    action = models.TextField(_("action"), choices=Action.choices)
    # No foreign key: the log outlives a purged patient.
    patient_id = models.UUIDField(_("patient"), null=True, blank=True, db_index=True)
    object_type = models.TextField(_("object type"), blank=True, default="")
    object_id = models.TextField(_("object id"), blank=True, default="")
    path = models.TextField(_("path"), blank=True, default="")
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    user_agent = models.TextField(_("browser"), blank=True, default="")
    request_id = models.TextField(_("request id"), blank=True, default="")
    detail = fields.JSONField(_("detail"), default=dict, db_default={}, blank=True)

    class Meta:
        db_table = "access_log"
        verbose_name = _("access log entry")
        verbose_name_plural = _("access log")
        ordering = ["-occurred_at"]
        indexes = [models.Index(fields=["actor", "-occurred_at"], name="access_log_actor_idx")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(action__in=Action.values), name="access_log_action_check"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.occurred_at:%Y-%m-%d %H:%M} {self.action} {self.object_type}"


class Activity(models.Model):
    """One row of the ``activity`` view: a history event or an access-log entry.

    The view is rebuilt after every ``migrate`` from the history tables that
    exist (``audit.activity.rebuild_view``), so a newly tracked table shows
    up on the Activity page without anyone editing SQL. Read it in system
    context: the access log is not readable by the app role.
    """

    key = models.TextField(primary_key=True)  # source:event id, unique and sortable
    occurred_at = models.DateTimeField()
    source = models.TextField()
    patient_id = models.UUIDField()
    object_id = models.TextField()
    label = models.TextField()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.DO_NOTHING,
        null=True,
        db_constraint=False,
        related_name="+",
    )
    data = models.JSONField()
    previous = models.JSONField(null=True)

    class Meta:
        managed = False
        db_table = "activity"

    def __str__(self) -> str:
        return self.key
