"""Notifications (DESIGN.md §B.9): one per recipient and event, read in the inbox."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pghistory
from django.conf import settings
from django.db import models
from django.db.models import F, Func, Q, Value
from django.db.models.lookups import Exact
from django.utils.translation import gettext_lazy as _

from medtrack import fields


class Type(models.TextChoices):
    DOSE_DUE = "dose_due", _("Dose due")
    DOSE_MISSED = "dose_missed", _("Dose missed")
    REFILL_LOW = "refill_low", _("Refill soon")
    APPOINTMENT_UPCOMING = "appointment_upcoming", _("Appointment coming up")
    MEASUREMENT_OUT_OF_RANGE = "measurement_out_of_range", _("Reading outside the target")
    CAREGIVER_INVITED = "caregiver_invited", _("Invitation to a care team")
    CAREGIVER_JOINED = "caregiver_joined", _("Someone joined the care team")
    FILE_SHARED = "file_shared", _("Document shared")
    EXPORT_READY = "export_ready", _("Export ready")
    SYSTEM = "system", _("MedTrack")
    BREAK_GLASS = "break_glass", _("Emergency access by MedTrack staff")


#: Urgent types ignore quiet hours (DESIGN.md §B.9). Staff's emergency access
#: lasts an hour: a notice held until morning would come after it ended.
URGENT = frozenset({Type.DOSE_MISSED, Type.MEASUREMENT_OUT_OF_RANGE, Type.BREAK_GLASS})


@pghistory.track(meta=fields.history_indexes("notification"))
class Notification(models.Model):
    id = fields.uuid_pk()
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.DB_CASCADE,
        related_name="notifications",
        verbose_name=_("recipient"),
        db_index=False,
    )
    patient = models.ForeignKey(
        "patients.Patient",
        on_delete=models.DB_CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("patient"),
        db_index=False,
    )
    type = fields.TextField(_("type"), choices=Type.choices)
    title = fields.TextField(_("title"))
    body = fields.TextField(_("text"), blank=True, default="", db_default="")
    url = fields.TextField(_("link"), blank=True, default="", db_default="")
    data = fields.JSONField(_("data"), default=dict, db_default={}, blank=True)
    #: One notification per recipient and event: the event's key (e.g. "dose_missed:<id>").
    dedupe_key = fields.TextField(_("event key"))
    read_at = models.DateTimeField(_("read"), null=True, blank=True)
    emailed_at = models.DateTimeField(_("e-mailed"), null=True, blank=True)
    created_at = fields.created_at(verbose_name=_("created"))

    class Meta:
        db_table = "notifications"
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        indexes = [
            models.Index(
                "user", "read_at", F("created_at").desc(), name="notifications_user_read_at"
            ),
            models.Index(fields=["patient"], name="notifications_patient"),
            # The inbox and the newest few, read or not: a walk, not a sort (issue 16).
            models.Index(
                "user", F("created_at").desc(), F("id").desc(), name="notifications_user_newest"
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "dedupe_key"], name="notifications_user_dedupe_key"
            ),
            models.CheckConstraint(
                condition=Q(type__in=Type.values), name="notifications_type_check"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.type} → {self.user_id}"


class Channel(models.TextChoices):
    IN_APP = "in_app", _("In the app")
    EMAIL = "email", _("By e-mail")


#: What each type does for someone who has not changed their preferences. The
#: invitation e-mail itself goes out when someone is invited, so the in-app note
#: does not repeat it; the dose-due nudge is opt-in (it would come every dose).
DEFAULT_CHANNELS: dict[str, frozenset[str]] = {
    Type.DOSE_DUE: frozenset(),
    Type.DOSE_MISSED: frozenset({Channel.IN_APP, Channel.EMAIL}),
    Type.REFILL_LOW: frozenset({Channel.IN_APP, Channel.EMAIL}),
    Type.APPOINTMENT_UPCOMING: frozenset({Channel.IN_APP, Channel.EMAIL}),
    Type.MEASUREMENT_OUT_OF_RANGE: frozenset({Channel.IN_APP, Channel.EMAIL}),
    Type.CAREGIVER_INVITED: frozenset({Channel.IN_APP}),
    Type.CAREGIVER_JOINED: frozenset({Channel.IN_APP}),
    Type.FILE_SHARED: frozenset({Channel.IN_APP, Channel.EMAIL}),
    Type.EXPORT_READY: frozenset({Channel.IN_APP}),
    Type.SYSTEM: frozenset({Channel.IN_APP, Channel.EMAIL}),
    Type.BREAK_GLASS: frozenset({Channel.IN_APP, Channel.EMAIL}),
}

#: Types that always come on their default channels: our own messages, and
#: staff's emergency access to a patient (a primary caregiver must hear of it).
FIXED = frozenset({Type.SYSTEM, Type.BREAK_GLASS})
#: Types a person chooses channels for.
CHOOSABLE = [t for t in Type if t not in FIXED]


@pghistory.track()
class NotificationPreferences(models.Model):
    """How one person wants to hear about each type (DESIGN.md §B.9). No row means
    the defaults (``DEFAULT_CHANNELS``); ``channels`` holds only the types changed."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        primary_key=True,
        on_delete=models.DB_CASCADE,
        related_name="notification_preferences",
        verbose_name=_("user"),
    )
    email_enabled = fields.BooleanField(_("send e-mail"), default=True, db_default=True)
    #: {"dose_due": ["in_app"], "refill_low": []}: the chosen channels of changed types.
    channels = fields.JSONField(_("channels per type"), default=dict, db_default={}, blank=True)
    quiet_hours_start = models.TimeField(_("quiet hours from"), null=True, blank=True)
    quiet_hours_end = models.TimeField(_("quiet hours until"), null=True, blank=True)
    updated_at = fields.updated_at(verbose_name=_("updated"))

    class Meta:
        db_table = "notification_preferences"
        verbose_name = _("notification preferences")
        verbose_name_plural = _("notification preferences")
        constraints = [
            models.CheckConstraint(
                condition=Q(quiet_hours_start__isnull=True, quiet_hours_end__isnull=True)
                | Q(
                    quiet_hours_start__isnull=False,
                    quiet_hours_end__isnull=False,
                    quiet_hours_start__lt=F("quiet_hours_end"),
                )
                | Q(
                    quiet_hours_start__isnull=False,
                    quiet_hours_end__isnull=False,
                    quiet_hours_start__gt=F("quiet_hours_end"),
                ),
                name="notification_preferences_quiet_hours_check",
            ),
            models.CheckConstraint(
                condition=Exact(
                    Func(F("channels"), function="jsonb_typeof", output_field=models.TextField()),
                    Value("object"),
                ),
                name="notification_preferences_channels_check",
            ),
        ]

    def __str__(self) -> str:
        return f"notification preferences of {self.user_id}"

    def chosen(self, type: str) -> frozenset[str]:
        """The channels ticked for ``type`` (its defaults unless changed)."""
        chosen = self.channels.get(type) if type not in FIXED else None
        return DEFAULT_CHANNELS[type] if chosen is None else frozenset(chosen)

    def channels_for(self, type: str) -> frozenset[str]:
        """The channels ``type`` goes out on: as chosen, without e-mail when it is off."""
        found = self.chosen(type)
        return found if self.email_enabled else found - {Channel.EMAIL}

    def quiet_until(self, now: dt.datetime, zone: ZoneInfo) -> dt.datetime | None:
        """When the quiet hours around ``now`` end, or None outside them. The hours
        are wall-clock times in the person's zone, on DST days too (an end time the
        clocks skip is moved forward by the gap: 02:30 → 03:30)."""
        start, end = self.quiet_hours_start, self.quiet_hours_end
        if start is None or end is None:
            return None
        local = now.astimezone(zone)
        clock = local.time().replace(tzinfo=None)
        if start < end:
            inside, day = start <= clock < end, local.date()
        else:  # over midnight, e.g. 22:00–07:00
            inside = clock >= start or clock < end
            day = local.date() + dt.timedelta(days=1) if clock >= start else local.date()
        if not inside:
            return None
        # The first of a repeated time, unless that has passed (the clocks went back
        # and we are in the second pass of the hour): then the second.
        for fold in (0, 1):
            until = dt.datetime.combine(day, end, tzinfo=zone).replace(fold=fold)
            if until.astimezone(dt.UTC) > now:
                return until.astimezone(dt.UTC)
        return None


#: Preferences for someone without a row: the defaults.
DEFAULT_PREFERENCES = NotificationPreferences(email_enabled=True, channels={})
