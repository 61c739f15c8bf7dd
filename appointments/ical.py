"""Appointments as iCalendar (RFC 5545), serialised by the ``icalendar`` library.

Each event carries its patient's time zone (with a VTIMEZONE block covering the
events' years), a stable UID, a SEQUENCE that goes up with every change, and
STATUS:CANCELLED once cancelled, so calendar apps update or strike their copy.
Health details leave MedTrack here, so events are CLASS:PRIVATE, name the
escort in words only, and leave the outcome out.
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
REFRESH = dt.timedelta(hours=1)


def uid(appointment: Appointment) -> str:
    return f"{appointment.pk}@{UID_DOMAIN}"


def _local(at: dt.datetime, zone: ZoneInfo) -> dt.datetime:
    """``at`` on the zone's clock, or in UTC when that clock shows it twice (the
    repeated hour in autumn): a TZID time always means the first occurrence."""
    local = at.astimezone(zone)
    return local.astimezone(dt.UTC) if local.fold else local


def _event(appointment: Appointment, now: dt.datetime) -> icalendar.Event:
    zone = appointment.patient.zone
    event = icalendar.Event()
    event.add("uid", uid(appointment))
    event.add("dtstamp", now.astimezone(dt.UTC))
    event.add("created", appointment.created_at.astimezone(dt.UTC))
    event.add("last-modified", appointment.updated_at.astimezone(dt.UTC))
    event.add("sequence", appointment.sequence)
    summary = f"{appointment.title} — {appointment.patient.name}"
    if appointment.status == Status.CANCELLED:
        # Not every calendar app strikes out STATUS:CANCELLED: say it in words too.
        summary = _("Cancelled: %(what)s") % {"what": summary}
    event.add("summary", summary)
    event.add("dtstart", _local(appointment.starts_at, zone))
    if appointment.ends_at:
        event.add("dtend", _local(appointment.ends_at, zone))
    else:
        event.add("duration", DEFAULT_LENGTH)
    event.add("status", STATUS[Status(appointment.status)])
    event.add("class", "PRIVATE")
    event.add("categories", [appointment.get_appointment_type_display()])
    if appointment.location:
        event.add("location", appointment.location)
    path = reverse("appointments:detail", args=[appointment.patient_id, appointment.pk])
    lines = []
    if appointment.provider_name:
        lines.append(_("With: %(who)s") % {"who": appointment.provider_name})
    if appointment.escort:
        # In words, not as an ATTENDEE: a published event has no one to invite,
        # and the escort's e-mail address stays in MedTrack.
        lines.append(_("Taken by: %(who)s") % {"who": appointment.escort.name})
    if appointment.notes:
        lines.append(appointment.notes)
    lines.append(f"{settings.SITE_URL}{path}")
    event.add("description", "\n".join(lines))
    event.add("url", f"{settings.SITE_URL}{path}")
    return event


def calendar(
    appointments: Iterable[Appointment],
    *,
    name: str,
    now: dt.datetime,
    subscription: bool = True,
    zone: str = "UTC",
) -> bytes:
    """A calendar of ``appointments`` (each with ``patient`` and ``escort`` loaded):
    a feed to subscribe to, or (``subscription=False``) a file to import once."""
    cal = icalendar.Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    if subscription:
        cal.add("x-wr-calname", name)
        cal.add("refresh-interval", REFRESH, parameters={"VALUE": "DURATION"})
        cal.add("x-published-ttl", icalendar.vDuration(REFRESH))
    years: list[int] = []
    for appointment in appointments:
        cal.add_component(_event(appointment, now))
        years.append(appointment.starts_at.year)
    if years:
        # Only the transitions around the events: a short, exact VTIMEZONE per zone.
        cal.add_missing_timezones(
            first_date=dt.date(min(years) - 1, 1, 1), last_date=dt.date(max(years) + 2, 1, 1)
        )
    else:
        # RFC 5545 wants at least one component: the owner's zone, for an empty feed.
        cal.add_component(
            icalendar.Timezone.from_tzid(
                zone, first_date=now.date(), last_date=now.date() + dt.timedelta(days=400)
            )
        )
    return cal.to_ical()
