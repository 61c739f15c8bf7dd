"""Creating notifications (jobs, in system context) and reading them (the inbox).

Every notification has a ``dedupe_key`` naming its event; ``UNIQUE (user_id,
dedupe_key)`` with ``INSERT … ON CONFLICT DO NOTHING`` means a job that runs
twice, or two runners at once, notify each person once.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.conf import settings
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.models import User, UserSettings
from caregivers.models import PatientCaregiver
from doses.models import Dose, DoseStatus
from doses.services import missed_after
from measurements.kinds import KINDS
from measurements.models import Measurement
from measurements.selectors import format_reading
from medtrack.rls import system_context
from notifications.models import Notification, Type
from patients.access import Area, Level, level_for

#: How far back the producers look: a runner that was down this long catches up.
CATCH_UP = dt.timedelta(hours=48)


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


def _create(rows: list[Notification]) -> int:
    """Insert, skipping any (user, event) already notified; how many were new. The
    unique key decides under a race (``ON CONFLICT DO NOTHING``); the count is
    for the job's summary line."""
    done = set(
        Notification.objects.filter(
            user_id__in={row.user_id for row in rows},
            dedupe_key__in={row.dedupe_key for row in rows},
        ).values_list("user_id", "dedupe_key")
    )
    new = [row for row in rows if (row.user_id, row.dedupe_key) not in done]
    Notification.objects.bulk_create(new, ignore_conflicts=True, batch_size=500)
    return len(new)


def notify_missed_doses(*, now: dt.datetime) -> int:
    """ "Metformin was not given at 08:00" to the team of each dose marked missed."""
    with system_context("notify missed doses"):
        doses = list(
            Dose.objects.filter(
                status=DoseStatus.MISSED,
                scheduled_for__gte=now - missed_after() - CATCH_UP,
                scheduled_for__lt=now,
            ).select_related("medication", "patient")
        )
        teams = recipients({d.patient_id for d in doses}, Area.DOSES)
        rows = []
        for dose in doses:
            assert dose.scheduled_for is not None
            local = dose.scheduled_for.astimezone(ZoneInfo(dose.patient.timezone))
            url = reverse("doses:today", args=[dose.patient_id])
            for person in teams.get(dose.patient_id, []):
                with translation.override(person.language):
                    rows.append(
                        Notification(
                            user_id=person.user_id,
                            patient_id=dose.patient_id,
                            type=Type.DOSE_MISSED,
                            title=_("%(medication)s was not given to %(name)s")
                            % {"medication": dose.medication.name, "name": dose.patient.name},
                            body=_("The %(time)s dose of %(day)s was not recorded.")
                            % {"time": local.strftime("%H:%M"), "day": local.date().isoformat()},
                            url=url,
                            data={"dose_id": str(dose.pk)},
                            dedupe_key=f"dose_missed:{dose.pk}",
                            created_at=now,
                        )
                    )
        return _create(rows)


def notify_flagged_readings(*, now: dt.datetime) -> int:
    """Each reading outside its target, to each member who may see readings."""
    with system_context("notify flagged readings"):
        readings = list(
            Measurement.objects.filter(
                out_of_range=True, measured_at__gte=now - CATCH_UP, measured_at__lte=now
            ).select_related("patient")
        )
        teams = recipients({r.patient_id for r in readings}, Area.MEASUREMENTS)
        rows = []
        for reading in readings:
            kind = KINDS[reading.type]
            url = reverse("measurements:trend", args=[reading.patient_id, reading.type])
            local = reading.measured_at.astimezone(ZoneInfo(reading.patient.timezone))
            for person in teams.get(reading.patient_id, []):
                with translation.override(person.language):
                    rows.append(
                        Notification(
                            user_id=person.user_id,
                            patient_id=reading.patient_id,
                            type=Type.MEASUREMENT_OUT_OF_RANGE,
                            title=_("%(name)s: %(what)s outside the target")
                            % {"name": reading.patient.name, "what": kind.label.lower()},
                            body=_("%(value)s at %(time)s.")
                            % {
                                "value": format_reading(reading, kind.unit_for(person.units)),
                                "time": local.strftime("%H:%M"),
                            },
                            url=url,
                            data={"measurement_id": str(reading.pk)},
                            dedupe_key=f"measurement_out_of_range:{reading.pk}",
                            created_at=now,
                        )
                    )
        return _create(rows)


def unread_count(user: User) -> int:
    return Notification.objects.filter(user=user, read_at__isnull=True).count()


def mark_read(*, user: User, notification_id: uuid.UUID | None = None) -> int:
    """Mark one (or, without an id, every) unread notification of ``user`` read."""
    unread = Notification.objects.filter(user=user, read_at__isnull=True)
    if notification_id is not None:
        unread = unread.filter(pk=notification_id)
    return unread.update(read_at=timezone.now())


def notify_upcoming_appointments(*, now: dt.datetime) -> int:
    """Each reminder an appointment asks for ("1 day before", "1 hour before"), once it
    is due, to each member who may see appointments. A moved appointment reminds
    again; reminders due more than ``CATCH_UP`` ago are not sent late."""
    from appointments.models import REMINDER_CHOICES, Appointment, Status

    with system_context("notify upcoming appointments"):
        longest = max(m for m, _label in REMINDER_CHOICES)
        appointments = list(
            Appointment.objects.filter(
                status=Status.SCHEDULED,
                starts_at__gt=now,
                starts_at__lte=now + dt.timedelta(minutes=longest),
            ).select_related("patient")
        )
        teams = recipients({a.patient_id for a in appointments}, Area.APPOINTMENTS)
        rows = []
        for appointment in appointments:
            local = appointment.starts_at.astimezone(ZoneInfo(appointment.patient.timezone))
            url = reverse("appointments:detail", args=[appointment.patient_id, appointment.pk])
            due = [
                minutes
                for minutes in appointment.reminder_minutes
                if now - CATCH_UP < appointment.starts_at - dt.timedelta(minutes=minutes) <= now
            ]
            # Several due at once (a late runner, a late booking): only the nearest one.
            for minutes in sorted(due)[:1]:
                start = appointment.starts_at.strftime("%Y%m%dT%H%M")
                key = f"appointment_upcoming:{appointment.pk}:{minutes}:{start}"
                for person in teams.get(appointment.patient_id, []):
                    with translation.override(person.language):
                        rows.append(
                            Notification(
                                user_id=person.user_id,
                                patient_id=appointment.patient_id,
                                type=Type.APPOINTMENT_UPCOMING,
                                title=_("%(name)s: %(title)s")
                                % {"name": appointment.patient.name, "title": appointment.title},
                                body=_("%(day)s at %(time)s%(place)s.")
                                % {
                                    "day": local.date().isoformat(),
                                    "time": local.strftime("%H:%M"),
                                    "place": f", {appointment.location}"
                                    if appointment.location
                                    else "",
                                },
                                url=url,
                                data={"appointment_id": str(appointment.pk), "minutes": minutes},
                                dedupe_key=key,
                                created_at=now,
                            )
                        )
        return _create(rows)
