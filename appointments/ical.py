"""Appointments as iCalendar (RFC 5545), serialised by the ``icalendar`` library.

Each event carries its patient's time zone (with a VTIMEZONE block covering the
events' years), a stable UID, a SEQUENCE that goes up with every change, and
STATUS:CANCELLED once cancelled, so calendar apps update or strike their copy.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from zoneinfo import ZoneInfo

import icalendar
from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext as _

from appointments.models import Appointment, Status

PRODID = "-//MedTrack//Appointments//EN"
UID_DOMAIN = "medtrack"
STATUS = {
    Status.SCHEDULED: "CONFIRMED",
    Status.COMPLETED: "CONFIRMED",
    Status.MISSED: "CONFIRMED",
    Status.CANCELLED: "CANCELLED",
}
DEFAULT_LENGTH = dt.timedelta(hours=1)


def uid(appointment: Appointment) -> str:
    return f"{appointment.pk}@{UID_DOMAIN}"


def _event(appointment: Appointment, now: dt.datetime) -> icalendar.Event:
    zone = ZoneInfo(appointment.patient.timezone)
    event = icalendar.Event()
    event.add("uid", uid(appointment))
    event.add("dtstamp", now.astimezone(dt.UTC))
    event.add("created", appointment.created_at.astimezone(dt.UTC))
    event.add("last-modified", appointment.updated_at.astimezone(dt.UTC))
    event.add("sequence", appointment.sequence)
    event.add("summary", f"{appointment.title} — {appointment.patient.name}")
    event.add("dtstart", appointment.starts_at.astimezone(zone))
    event.add(
        "dtend", (appointment.ends_at or appointment.starts_at + DEFAULT_LENGTH).astimezone(zone)
    )
    event.add("status", STATUS[Status(appointment.status)])
    event.add("categories", [appointment.get_appointment_type_display()])
    if appointment.location:
        event.add("location", appointment.location)
    lines = []
    if appointment.provider_name:
        lines.append(_("With: %(who)s") % {"who": appointment.provider_name})
    if appointment.escort:
        lines.append(_("Taken by: %(who)s") % {"who": appointment.escort.name})
        event.add(
            "attendee",
            f"mailto:{appointment.escort.email}",
            parameters={"CN": appointment.escort.name, "ROLE": "REQ-PARTICIPANT"},
        )
    if appointment.notes:
        lines.append(appointment.notes)
    if appointment.outcome:
        lines.append(_("Outcome: %(text)s") % {"text": appointment.outcome})
    path = reverse("appointments:detail", args=[appointment.patient_id, appointment.pk])
    lines.append(f"{settings.SITE_URL}{path}")
    event.add("description", "\n".join(lines))
    event.add("url", f"{settings.SITE_URL}{path}")
    return event


def calendar(appointments: Iterable[Appointment], *, name: str, now: dt.datetime) -> bytes:
    """A calendar of ``appointments`` (each with ``patient`` and ``escort`` loaded)."""
    cal = icalendar.Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", name)
    cal.add("refresh-interval", dt.timedelta(hours=1), parameters={"VALUE": "DURATION"})
    cal.add("x-published-ttl", dt.timedelta(hours=1))
    years: list[int] = []
    for appointment in appointments:
        cal.add_component(_event(appointment, now))
        years.append(appointment.starts_at.year)
    if years:
        # Only the transitions around the events: a short, exact VTIMEZONE per zone.
        cal.add_missing_timezones(
            first_date=dt.date(min(years) - 1, 1, 1), last_date=dt.date(max(years) + 2, 1, 1)
        )
    return cal.to_ical()
