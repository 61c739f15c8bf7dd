"""The access log (DESIGN.md §B.1): who looked at what, logins, exports, downloads.

Writes to patient data are recorded by database triggers (django-pghistory);
reads and sign-ins are recorded here by the application. The app role may
only append: it can neither read, change nor delete a row (staff read it in
the admin, primaries through the Activity page, both in system context).
"""

from __future__ import annotations

import datetime as dt

import pghistory
from django.conf import settings
from django.core.validators import MinLengthValidator
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Length, Trim
from django.db.models.lookups import GreaterThanOrEqual
from django.utils import timezone
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
    ACCOUNT_DELETED = "account_deleted", _("Deleted their account")
    # Two-step sign-in (accounts.two_factor): the person, or staff for a lost phone.
    TWO_FACTOR_ON = "two_factor_on", _("Turned on two-step sign-in")
    TWO_FACTOR_OFF = "two_factor_off", _("Turned off two-step sign-in")
    BACKUP_CODES = "backup_codes", _("Made new backup codes")


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
        indexes = [
            models.Index(fields=["actor", "-occurred_at"], name="access_log_actor_idx"),
            # The Activity page's newest entries of a patient (audit.activity.page_sql).
            models.Index(fields=["patient_id", "-occurred_at"], name="access_log_patient_idx"),
        ]
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


#: A reason shorter than this is not a sentence a family could understand.
REASON_MIN_LENGTH = 20


def grant_expiry() -> dt.datetime:
    return timezone.now() + dt.timedelta(minutes=settings.BREAK_GLASS_MINUTES)


class BreakGlassGrantQuerySet(models.QuerySet["BreakGlassGrant"]):
    def active(self, now: dt.datetime) -> BreakGlassGrantQuerySet:
        """Grants in force at ``now`` (Python's clock, so tests can travel in time)."""
        return self.filter(ended_at__isnull=True, expires_at__gt=now)


@pghistory.track(meta=fields.history_indexes("break_glass"))
class BreakGlassGrant(models.Model):
    """A staff member's time-limited access to one patient's data in the admin.

    1. Staff see no patient's rows in the admin without one
       (``audit.breakglass.PatientDataAdmin``); the access log records its
       opening and end (``break_glass``), which the Activity page shows.
    2. It is written only by staff, in system context: the app role may read
       the grants of its own patients (transparency) and write none.
    3. It ends at ``expires_at`` (``BREAK_GLASS_MINUTES`` after opening), or
       earlier when someone sets ``ended_at``; it is never extended: a new
       reason opens a new grant.
    """

    id = fields.uuid_pk()
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.DO_NOTHING,
        related_name="+",
        verbose_name=_("staff member"),
        db_index=False,
    )
    patient = fields.patient_fk()
    reason = fields.TextField(
        _("reason"),
        help_text=_("Why you need this patient's data: the family reads it."),
        validators=[MinLengthValidator(REASON_MIN_LENGTH)],
    )
    created_at = fields.created_at(verbose_name=_("opened"))
    expires_at = models.DateTimeField(_("until"), default=grant_expiry)
    ended_at = models.DateTimeField(_("ended early"), null=True, blank=True)
    ended_by = fields.author_fk(_("ended by"))

    objects = BreakGlassGrantQuerySet.as_manager()

    class Meta:
        db_table = "break_glass_grants"
        verbose_name = _("emergency access grant")
        verbose_name_plural = _("emergency access grants")
        ordering = ["-created_at"]
        indexes = [
            models.Index(
                "staff", "expires_at", condition=Q(ended_at__isnull=True), name="break_glass_live"
            ),
            models.Index("patient", F("created_at").desc(), name="break_glass_patient"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=GreaterThanOrEqual(Length(Trim("reason")), REASON_MIN_LENGTH),
                name="break_glass_grants_reason_check",
                violation_error_message=_("Give the reason in a sentence."),
            ),
            models.CheckConstraint(
                condition=Q(expires_at__gt=F("created_at")),
                name="break_glass_grants_expiry_check",
            ),
            models.CheckConstraint(
                condition=Q(ended_at__isnull=True) | Q(ended_at__gte=F("created_at")),
                name="break_glass_grants_ended_check",
            ),
        ]

    def __str__(self) -> str:
        return f"Emergency access to {self.patient_id} until {self.expires_at:%Y-%m-%d %H:%M} UTC"

    def is_active(self, now: dt.datetime) -> bool:
        return self.ended_at is None and self.expires_at > now
