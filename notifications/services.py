"""Creating notifications (jobs, in system context) and reading them (the inbox).

Every notification has a ``dedupe_key`` naming its event; ``UNIQUE (user_id,
dedupe_key)`` with ``INSERT … ON CONFLICT DO NOTHING`` means a job that runs
twice, or two runners at once, notify each person once.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection, models
from django.db.models import F
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.dateformat import format as date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from accounts.models import User, UserSettings
from appointments.models import REMINDER_CHOICES, Appointment
from appointments.models import Status as AppointmentStatus
from caregivers.models import PatientCaregiver
from doses.models import Dose, DoseStatus
from doses.services import missed_after
from measurements.kinds import KINDS
from measurements.models import Measurement
from measurements.selectors import format_reading
from medications.models import Medication
from medications.models import Status as MedicationStatus
from medtrack.rls import system_context
from medtrack.templatetags.medtrack import amount
from notifications.models import (
    DEFAULT_PREFERENCES,
    URGENT,
    Channel,
    Notification,
    NotificationPreferences,
    Type,
)
from patients.access import Area, Level, level_for
from patients.models import Patient

#: How far back the producers look: a runner that was down this long catches up.
CATCH_UP = dt.timedelta(hours=48)
#: A dose-due nudge later than this would be noise: the dose is then overdue.
DUE_WINDOW = dt.timedelta(minutes=30)


@dataclass(frozen=True)
class Recipient:
    user_id: uuid.UUID
    language: str
    units: dict[str, str]


def recipients(patient_ids: Iterable[uuid.UUID], area: Area) -> dict[uuid.UUID, list[Recipient]]:
    """Each patient's active care team members who may see ``area`` (one query).
    A deleted patient (restorable for a while) has nobody to notify."""
    members = (
        PatientCaregiver.objects.filter(
            patient_id__in=list(patient_ids),
            patient__is_deleted=False,
            is_active=True,
            caregiver__is_active=True,
        )
        .select_related("caregiver__settings")
        .only(
            "patient_id",
            "role",
            "permissions",
            "caregiver__id",
            "caregiver__settings__language",
            "caregiver__settings__units",
        )
    )
    found: dict[uuid.UUID, list[Recipient]] = defaultdict(list)
    for member in members:
        if level_for(member.role, member.permissions, area) < Level.READ:
            continue
        prefs: UserSettings | None = getattr(member.caregiver, "settings", None)
        found[member.patient_id].append(
            Recipient(
                member.caregiver_id,
                prefs.language if prefs else settings.LANGUAGE_CODE,
                (prefs.units if prefs else None) or {},
            )
        )
    return found


def deliver(rows: list[Notification], *, now: dt.datetime) -> int:
    """Create each notification its recipient wants (at most once per person and
    event) and queue the e-mails; how many were new. The recipient's preferences
    decide: no channel, nothing is kept; e-mail only, it arrives already read."""
    if not rows:
        return 0
    people = _people({row.user_id for row in rows})
    kept, by_email = [], set()
    for row in rows:
        person = people.get(row.user_id)
        if person is None or not person.is_active:
            continue
        channels = preferences_of(person).channels_for(row.type)
        if not channels:
            continue
        if Channel.IN_APP not in channels:
            row.read_at = now
        if Channel.EMAIL in channels and person.email:
            by_email.add(row.pk)
        kept.append(row)
    new = _create(kept)
    from notifications.tasks import send_notification_email

    for row in new:
        if row.pk in by_email:
            send_at = email_time(people[row.user_id], row.type, now)
            send_notification_email.using(run_after=send_at).enqueue(str(row.pk))
    return len(new)


def _people(user_ids: set[uuid.UUID]) -> dict[uuid.UUID, User]:
    found = User.objects.filter(pk__in=user_ids).select_related(
        "settings", "notification_preferences"
    )
    return {user.pk: user for user in found}


def preferences_of(user: User) -> NotificationPreferences:
    return getattr(user, "notification_preferences", None) or DEFAULT_PREFERENCES


def user_language(user: User) -> str:
    return user.language


def user_zone(user: User) -> ZoneInfo:
    prefs: UserSettings | None = getattr(user, "settings", None)
    return ZoneInfo(prefs.timezone if prefs else settings.TIME_ZONE)


#: The area a notification about a patient belongs to: its recipient must still
#: be on the team with that area readable when its e-mail goes out.
TYPE_AREAS = {
    Type.DOSE_DUE: Area.DOSES,
    Type.DOSE_MISSED: Area.DOSES,
    Type.REFILL_LOW: Area.MEDICATIONS,
    Type.APPOINTMENT_UPCOMING: Area.APPOINTMENTS,
    Type.MEASUREMENT_OUT_OF_RANGE: Area.MEASUREMENTS,
    Type.CAREGIVER_JOINED: Area.CAREGIVERS,
    Type.EXPORT_READY: Area.EXPORTS,
}


def still_relevant(notification: Notification, now: dt.datetime) -> str:
    """Why an e-mail due now should no longer go ("" if it should): its recipient
    left the team (or the patient was deleted), or its moment has passed."""
    if notification.patient_id is not None:
        member = PatientCaregiver.objects.filter(
            patient_id=notification.patient_id,
            caregiver_id=notification.user_id,
            is_active=True,
            patient__is_deleted=False,
        ).first()
        area = TYPE_AREAS.get(Type(notification.type), Area.PATIENT)
        if member is None or level_for(member.role, member.permissions, area) < Level.READ:
            return "not sent: no longer on the care team"
    at = notification.data.get("at")
    moment = dt.datetime.fromisoformat(at) if at else None
    if moment and notification.type == Type.APPOINTMENT_UPCOMING and now >= moment:
        return "not sent: the appointment has begun"
    if moment and notification.type == Type.DOSE_DUE and now - moment > DUE_WINDOW:
        return "not sent: the dose is no longer due"
    return ""


def email_time(user: User, type: str, now: dt.datetime) -> dt.datetime | None:
    """When an e-mail of ``type`` may go to ``user``: None for now, or the end of
    their quiet hours. Urgent types ignore quiet hours (DESIGN.md §B.9)."""
    if type in URGENT:
        return None
    return preferences_of(user).quiet_until(now, user_zone(user))


def _create(rows: list[Notification]) -> list[Notification]:
    """Insert, skipping any (user, event) already notified; the new ones. The
    unique key decides under a race (``ON CONFLICT DO NOTHING``)."""
    if not rows:
        return []
    done = set(
        Notification.objects.filter(
            user_id__in={row.user_id for row in rows},
            dedupe_key__in={row.dedupe_key for row in rows},
        ).values_list("user_id", "dedupe_key")
    )
    new = [row for row in rows if (row.user_id, row.dedupe_key) not in done]
    Notification.objects.bulk_create(new, ignore_conflicts=True, batch_size=500)
    if not new:
        return []
    # A row another runner inserted first was skipped: not ours to count or e-mail.
    inserted = set(
        Notification.objects.filter(pk__in=[row.pk for row in new]).values_list("pk", flat=True)
    )
    return [row for row in new if row.pk in inserted]


def _fan_out[T: models.Model](
    items: Iterable[T],
    area: Area,
    make: Callable[[T, Recipient], Notification],
    *,
    now: dt.datetime,
) -> int:
    """One notification per item and team member who may see ``area``, written in
    the member's language; ``make`` fills in the event, this the recipient."""
    items = list(items)
    teams = recipients({item.patient_id for item in items}, area)  # type: ignore[attr-defined]
    rows = []
    for item in items:
        for person in teams.get(item.patient_id, []):  # type: ignore[attr-defined]
            with translation.override(person.language):
                row = make(item, person)
            row.user_id = person.user_id
            row.patient_id = item.patient_id  # type: ignore[attr-defined]
            row.created_at = now
            rows.append(row)
    return deliver(rows, now=now)


def local_when(value: dt.datetime, zone: ZoneInfo) -> str:
    """ "Wed 25 Nov, 20:00" on the patient's clock, in the active language."""
    return date_format(value.astimezone(zone), "D j M, H:i")


def day_and_time(value: dt.datetime, zone: ZoneInfo) -> dict[str, str]:
    """{"day": "Wed 25 Nov", "time": "20:00"} on the patient's clock."""
    local = value.astimezone(zone)
    return {"day": date_format(local, "D j M"), "time": date_format(local, "H:i")}


def _about_dose(type: Type, title: str, body: str) -> Callable[[Dose, Recipient], Notification]:
    """A notification about a dose: ``title`` and ``body`` take the medication and
    patient names and the dose's day and time on the patient's clock."""

    def make(dose: Dose, person: Recipient) -> Notification:
        assert dose.scheduled_for is not None
        words = {
            "medication": dose.medication.name,
            "name": dose.patient.name,
            **day_and_time(dose.scheduled_for, dose.patient.zone),
        }
        return Notification(
            type=type,
            title=_(title) % words,
            body=_(body) % words,
            url=reverse("doses:today", args=[dose.patient_id]),
            data={"dose_id": str(dose.pk), "at": dose.scheduled_for.isoformat()},
            dedupe_key=f"{type}:{dose.pk}",
        )

    return make


def notify_due_doses(*, now: dt.datetime) -> int:
    """ "Time for Metformin" when a scheduled dose comes due (for those who asked)."""
    with system_context("notify due doses"):
        doses = Dose.objects.filter(
            status=DoseStatus.PENDING,
            medication__is_prn=False,
            scheduled_for__gt=now - DUE_WINDOW,
            scheduled_for__lte=now,
        ).select_related("medication", "patient")
        make = _about_dose(
            Type.DOSE_DUE,
            gettext_noop("Time for %(medication)s (%(name)s)"),
            gettext_noop("Due at %(time)s."),
        )
        return _fan_out(doses, Area.DOSES, make, now=now)


def notify_missed_doses(*, now: dt.datetime) -> int:
    """ "Metformin was not given at 20:00" to the team of each dose marked missed."""
    with system_context("notify missed doses"):
        doses = Dose.objects.filter(
            status=DoseStatus.MISSED,
            scheduled_for__gte=now - missed_after() - CATCH_UP,
            scheduled_for__lt=now,
        ).select_related("medication", "patient")
        make = _about_dose(
            Type.DOSE_MISSED,
            gettext_noop("%(medication)s was not given to %(name)s"),
            gettext_noop("The %(time)s dose on %(day)s was not recorded."),
        )
        return _fan_out(doses, Area.DOSES, make, now=now)


def notify_flagged_readings(*, now: dt.datetime) -> int:
    """Each reading outside its target, to each member who may see readings."""
    with system_context("notify flagged readings"):
        readings = Measurement.objects.filter(
            out_of_range=True, measured_at__gte=now - CATCH_UP, measured_at__lte=now
        ).select_related("patient")

        def make(reading: Measurement, person: Recipient) -> Notification:
            kind = KINDS[reading.type]
            return Notification(
                type=Type.MEASUREMENT_OUT_OF_RANGE,
                title=_("%(name)s: %(what)s outside the target")
                % {"name": reading.patient.name, "what": kind.label.lower()},
                body=_("%(value)s at %(time)s on %(day)s.")
                % {
                    "value": format_reading(reading, kind.unit_for(person.units)),
                    **day_and_time(reading.measured_at, reading.patient.zone),
                },
                url=reverse("measurements:trend", args=[reading.patient_id, reading.type]),
                data={"measurement_id": str(reading.pk), "at": reading.measured_at.isoformat()},
                dedupe_key=f"measurement_out_of_range:{reading.pk}",
            )

        return _fan_out(readings, Area.MEASUREMENTS, make, now=now)


def notify_refill_low(*, now: dt.datetime) -> int:
    """Each active medication whose stock reached its refill level, once per level
    reached: a refill (an edit of the medication) that still leaves it low tells again."""
    with system_context("notify refill low"):
        medications = Medication.objects.filter(
            status=MedicationStatus.ACTIVE,
            quantity_on_hand__isnull=False,
            refill_threshold__isnull=False,
            quantity_on_hand__lte=F("refill_threshold"),
        ).select_related("patient")

        def make(medication: Medication, person: Recipient) -> Notification:
            return Notification(
                type=Type.REFILL_LOW,
                title=_("%(medication)s for %(name)s is running low")
                % {"medication": medication.name, "name": medication.patient.name},
                body=_("%(left)s left; time to refill.")
                % {"left": amount(medication.quantity_on_hand)},
                url=reverse("medications:detail", args=[medication.patient_id, medication.pk]),
                data={"medication_id": str(medication.pk)},
                dedupe_key=f"refill_low:{medication.pk}:{medication.updated_at.isoformat()}",
            )

        return _fan_out(medications, Area.MEDICATIONS, make, now=now)


def notify_upcoming_appointments(*, now: dt.datetime) -> int:
    """Each reminder an appointment asks for ("1 day before", "1 hour before"), once it
    is due, to each member who may see appointments. A moved appointment reminds
    again; when several are due at once (a late runner, a late booking) only the
    nearest is sent, and none due more than ``CATCH_UP`` ago."""
    with system_context("notify upcoming appointments"):
        longest = max(m for m, _label in REMINDER_CHOICES)
        due = []
        for appointment in Appointment.objects.filter(
            status=AppointmentStatus.SCHEDULED,
            starts_at__gt=now,
            starts_at__lte=now + dt.timedelta(minutes=longest),
        ).select_related("patient"):
            offsets = sorted(
                minutes
                for minutes in appointment.reminder_minutes
                if now - CATCH_UP < appointment.starts_at - dt.timedelta(minutes=minutes) <= now
            )
            if offsets:
                appointment.reminder = offsets[0]  # type: ignore[attr-defined]
                due.append(appointment)

        def make(appointment: Appointment, person: Recipient) -> Notification:
            start = appointment.starts_at
            minutes = appointment.reminder  # type: ignore[attr-defined]
            place = f", {appointment.location}" if appointment.location else ""
            return Notification(
                type=Type.APPOINTMENT_UPCOMING,
                title=_("%(name)s: %(title)s")
                % {"name": appointment.patient.name, "title": appointment.title},
                body=_("%(day)s at %(time)s%(place)s.")
                % {**day_and_time(start, appointment.patient.zone), "place": place},
                url=reverse("appointments:detail", args=[appointment.patient_id, appointment.pk]),
                data={
                    "appointment_id": str(appointment.pk),
                    "minutes": minutes,
                    "at": start.isoformat(),
                },
                dedupe_key=(
                    f"appointment_upcoming:{appointment.pk}:{minutes}:{start:%Y%m%dT%H%M}"
                ),
            )

        return _fan_out(due, Area.APPOINTMENTS, make, now=now)


def notify(
    users: Iterable[uuid.UUID],
    *,
    type: Type,
    key: str,
    title: Callable[[], str],
    body: Callable[[], str] = str,
    url: str = "",
    patient: Patient | None = None,
    data: dict[str, Any] | None = None,
    now: dt.datetime | None = None,
) -> int:
    """Notify these people of one event that happened (someone joined, a file was
    shared, an export is ready): ``title``/``body`` are called in each person's
    language. Runs in system context: the recipients' rows are not the actor's."""
    now = now or timezone.now()
    with system_context(f"notify {type}"):
        people = _people(set(users))
        rows = []
        for person in people.values():
            with translation.override(user_language(person)):
                rows.append(
                    Notification(
                        user_id=person.pk,
                        patient=patient,
                        type=type,
                        title=title(),
                        body=body(),
                        url=url,
                        data=data or {},
                        dedupe_key=key,
                        created_at=now,
                    )
                )
        return deliver(rows, now=now)


#: The navigation badge's number, asked by every signed-in page: as a plain
#: statement it costs 0.6 ms instead of the ORM's 1.4 (building and compiling
#: the query cost more than the index-only count, issue 16). Row level security
#: applies as to any query.
UNREAD_COUNT = "SELECT count(*) FROM notifications WHERE user_id = %s AND read_at IS NULL"


def unread_count(user: User) -> int:
    with connection.cursor() as cursor:
        cursor.execute(UNREAD_COUNT, [user.pk])
        (count,) = cursor.fetchone()
    return int(count)


def mark_read(*, user: User, notification_id: uuid.UUID | None = None) -> int:
    """Mark one (or, without an id, every) unread notification of ``user`` read."""
    unread = Notification.objects.filter(user=user, read_at__isnull=True)
    if notification_id is not None:
        unread = unread.filter(pk=notification_id)
    return unread.update(read_at=timezone.now())


def preferences_save(
    *,
    user: User,
    email_enabled: bool,
    channels: dict[str, list[str]],
    quiet_hours: tuple[dt.time | None, dt.time | None],
) -> NotificationPreferences:
    """Store ``user``'s choices (their own row; saving twice is saving once)."""
    start, end = quiet_hours
    preferences, _created = NotificationPreferences.objects.update_or_create(
        user=user,
        defaults={
            "email_enabled": email_enabled,
            "channels": channels,
            "quiet_hours_start": start,
            "quiet_hours_end": end,
        },
    )
    return preferences


def emails_resend(notifications: models.QuerySet[Notification]) -> int:
    """Staff: e-mail these again, now (quiet hours aside; the recipient's opt-out
    still holds, and the task says so; ``emailed_at`` changes only if it goes).
    How many were queued."""
    from notifications.tasks import send_notification_email

    ids = list(notifications.values_list("pk", flat=True))
    for notification_id in ids:
        send_notification_email.enqueue(str(notification_id), 1, True)
    return len(ids)


def notifications_forget(*, user: User) -> int:
    """Delete ``user``'s inbox and choices, and their history too (the account is
    being deleted: accounts.leaving). History is append-only everywhere else; these
    two tables hold one person's own messages, which are read by nobody else and
    would otherwise keep every title and text. In system context: notifications
    about a patient whose team they left are hidden from them, not gone. How many
    notifications went."""
    import pgtrigger
    from django.apps import apps

    events = ("NotificationEvent", "NotificationPreferencesEvent")
    with system_context(f"account_delete:{user.pk}"):
        deleted, _counts = Notification.objects.filter(user=user).delete()
        NotificationPreferences.objects.filter(user=user).delete()
        with pgtrigger.ignore(*(f"notifications.{event}:append_only" for event in events)):
            for event in events:
                apps.get_model("notifications", event).objects.filter(user_id=user.pk).delete()
    return deleted
