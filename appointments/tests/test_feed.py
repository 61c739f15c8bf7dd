"""The calendar feed, read back with an independent parser (the ``icalendar`` library)."""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

import icalendar
import pytest
from django.test import Client
from django.urls import reverse

from accounts import tokens
from accounts.models import Scope, User
from appointments import services
from appointments.models import Appointment
from caregivers.models import PatientCaregiver
from conftest import add_appointment, as_member, make_patient
from medtrack.rls import acting_as, system_context
from patients.access import Area
from patients.models import Patient

pytestmark = pytest.mark.django_db
MADRID = ZoneInfo("Europe/Madrid")
NEW_YORK = ZoneInfo("America/New_York")


@pytest.fixture(autouse=True)
def late_march(time_machine) -> None:
    time_machine.move_to(dt.datetime(2026, 3, 20, 9, 0, tzinfo=MADRID), tick=False)


def feed_url(user: User) -> str:
    with acting_as(user.pk):
        _, secret = tokens.token_create(user=user, name="phone", scopes=[Scope.CALENDAR_READ])
    return reverse("appointments:feed", args=[secret])


def events(client: Client, url: str) -> dict[str, icalendar.Event]:
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    calendar = icalendar.Calendar.from_ical(response.content)
    return {str(event["summary"]): event for event in calendar.walk("VEVENT")}


def test_events_keep_their_wall_clock_across_a_daylight_saving_change(
    client: Client, patient: Patient, primary: User
) -> None:
    # Madrid moves its clocks forward on 29 March 2026: 10:00 is 09:00 UTC before, 08:00 after.
    add_appointment(primary, patient, "Before", at=dt.datetime(2026, 3, 27, 10, tzinfo=MADRID))
    add_appointment(primary, patient, "After", at=dt.datetime(2026, 3, 31, 10, tzinfo=MADRID))
    found = events(client, feed_url(primary))
    before, after = found["Before — Rosa Primary"], found["After — Rosa Primary"]
    assert before["dtstart"].params["TZID"] == "Europe/Madrid"
    assert before.DTSTART.astimezone(dt.UTC).hour == 9
    assert after.DTSTART.astimezone(dt.UTC).hour == 8
    assert (before.DTSTART.hour, after.DTSTART.hour) == (10, 10)
    assert after["duration"].dt == dt.timedelta(hours=1)  # no end given: an hour


def test_a_patient_in_another_zone_keeps_theirs(
    client: Client, primary: User, patient: Patient
) -> None:
    abroad = make_patient(
        primary, "Tío Pepe", timezone="America/New_York", dob=dt.date(1950, 5, 5)
    )
    add_appointment(primary, abroad, "Dentist", at=dt.datetime(2026, 3, 23, 15, tzinfo=NEW_YORK))
    response = client.get(feed_url(primary))
    calendar = icalendar.Calendar.from_ical(response.content)
    zones = {str(tz["TZID"]) for tz in calendar.walk("VTIMEZONE")}
    assert zones == {"Europe/Madrid", "America/New_York"}
    (dentist,) = [e for e in calendar.walk("VEVENT") if str(e["summary"]).startswith("Dentist")]
    assert dentist["dtstart"].params["TZID"] == "America/New_York"
    assert dentist.DTSTART.astimezone(dt.UTC) == dt.datetime(2026, 3, 23, 19, tzinfo=dt.UTC)


def test_the_feed_is_valid_rfc_5545_text(client: Client, patient: Patient, primary: User) -> None:
    body = client.get(feed_url(primary)).content
    assert body.startswith(b"BEGIN:VCALENDAR\r\n")
    assert body.endswith(b"END:VCALENDAR\r\n")
    lines = body.split(b"\r\n")
    assert all(len(line) <= 75 for line in lines), "lines fold at 75 octets"
    assert b"\n" not in body.replace(b"\r\n", b"")
    text = body.decode()
    for needed in ("VERSION:2.0", "PRODID:", "BEGIN:VTIMEZONE", "DTSTAMP:", "UID:", "SEQUENCE:"):
        assert needed in text


def test_an_event_keeps_its_uid_and_its_sequence_goes_up_with_each_change(
    client: Client, patient: Patient, primary: User, secondary: User
) -> None:
    url = feed_url(primary)
    (first,) = events(client, url).values()
    with system_context("test"):
        appointment = Appointment.objects.get(patient=patient)
    loaded = as_member(primary, patient, Area.APPOINTMENTS)
    with acting_as(primary.pk):
        services.appointment_update(
            patient=loaded,
            actor=primary,
            appointment=appointment,
            version=None,
            location="Hospital Clínico, planta 5",
        )
        services.appointment_set_status(
            patient=loaded, actor=primary, appointment=appointment, status="cancelled"
        )
    (second,) = events(client, url).values()
    assert second["uid"] == first["uid"] == f"{appointment.pk}@medtrack"
    assert (int(first["sequence"]), int(second["sequence"])) == (0, 2)
    assert second["status"] == "CANCELLED"
    assert str(second["summary"]).startswith("Cancelled: Cardiology check-up")
    assert second["location"] == "Hospital Clínico, planta 5"
    assert "Taken by: Bob Secondary" in second["description"]  # the escort, in words
    assert "attendee" not in second  # nobody to invite; no e-mail leaves MedTrack
    assert second["class"] == "PRIVATE"


def test_a_feed_shows_only_its_owners_families(
    client: Client,
    patient: Patient,
    other_patient: Patient,
    primary: User,
    stranger: User,
    viewer: User,
) -> None:
    add_appointment(stranger, other_patient, "Their physio")
    mine = {name.removeprefix("Cancelled: ") for name in events(client, feed_url(primary))}
    theirs = set(events(client, feed_url(stranger)))
    assert mine == {"Cardiology check-up — Rosa Primary"}
    assert theirs == {"Their physio — Tomás Stranger"}
    with system_context("test"):
        PatientCaregiver.objects.filter(patient=patient, caregiver=viewer).update(
            permissions={"appointments": "none"}
        )
    assert events(client, feed_url(viewer)) == {}


def test_unknown_revoked_expired_and_wrong_scope_tokens_get_404(
    client: Client, patient: Patient, primary: User
) -> None:
    url = feed_url(primary)
    assert client.get(url).status_code == 200
    secret = re.search(r"/calendar/(.+)\.ics$", url).group(1)
    for wrong in ("mt_nope", secret[:-1] + ("A" if secret[-1] != "A" else "B"), "x" * 200):
        assert client.get(reverse("appointments:feed", args=[wrong])).status_code == 404
    with acting_as(primary.pk):
        _, sync_secret = tokens.token_create(user=primary, name="sync", scopes=[Scope.SYNC])
    assert client.get(reverse("appointments:feed", args=[sync_secret])).status_code == 404
    with system_context("test"):
        from accounts.models import ApiToken

        token = ApiToken.objects.get(user=primary, name="phone")
    client.force_login(primary)
    client.post(reverse("appointments:feed_revoke", args=[token.pk]))
    client.logout()
    assert client.get(url).status_code == 404  # at once


def test_a_token_is_stored_hashed_and_shown_once(client: Client, primary: User) -> None:
    client.force_login(primary)
    response = client.post(reverse("appointments:feeds"), {"name": "Ana's phone"}, follow=True)
    content = response.content.decode()
    url = re.search(r'value="(http://testserver/calendar/mt_[^"]+\.ics)"', content).group(1)
    secret = url.rsplit("/", 1)[1].removesuffix(".ics")
    with system_context("test"):
        from accounts.models import ApiToken

        stored = ApiToken.objects.get(user=primary)
    assert secret not in stored.token_hash
    assert len(stored.token_hash) == 64
    assert secret not in client.get(reverse("appointments:feeds")).content.decode()
    client.logout()
    assert client.get(url).status_code == 200
    with system_context("test"):
        assert ApiToken.objects.get(pk=stored.pk).last_used_at is not None


def test_one_appointment_downloads_as_an_ics_file(
    client: Client, patient: Patient, viewer: User
) -> None:
    with system_context("test"):
        appointment = Appointment.objects.get(patient=patient)
    client.force_login(viewer)
    response = client.get(reverse("appointments:ics", args=[patient.pk, appointment.pk]))
    assert response["Content-Disposition"].startswith("attachment;")
    (event,) = icalendar.Calendar.from_ical(response.content).walk("VEVENT")
    assert event["uid"] == f"{appointment.pk}@medtrack"


def test_other_users_cannot_revoke_my_token(client: Client, primary: User, stranger: User) -> None:
    url = feed_url(primary)
    with system_context("test"):
        from accounts.models import ApiToken

        token = ApiToken.objects.get(user=primary)
    client.force_login(stranger)
    client.post(reverse("appointments:feed_revoke", args=[token.pk]))
    client.logout()
    assert client.get(url).status_code == 200


def test_the_repeated_autumn_hour_keeps_its_length(
    client: Client, patient: Patient, primary: User
) -> None:
    # 25 October 2026, Madrid: 02:00–03:00 happens twice. An event at the second
    # 02:30 (01:30 UTC) is written in UTC: as a TZID time it would mean the first.
    second = dt.datetime(2026, 10, 25, 1, 30, tzinfo=dt.UTC)
    add_appointment(
        primary, patient, "Night check", at=second, ends_at=second + dt.timedelta(minutes=30)
    )
    event = events(client, feed_url(primary))["Night check — Rosa Primary"]
    assert second == event.DTSTART
    assert dt.timedelta(minutes=30) == event.DTEND - event.DTSTART


def test_an_empty_feed_is_still_a_valid_calendar(client: Client, stranger: User) -> None:
    response = client.get(feed_url(stranger))
    calendar = icalendar.Calendar.from_ical(response.content)
    assert calendar.walk("VEVENT") == []
    assert len(calendar.walk("VTIMEZONE")) == 1  # RFC 5545: at least one component
    assert b"X-PUBLISHED-TTL:PT1H\r\n" in response.content


def test_calendar_apps_may_ask_with_head(client: Client, primary: User, patient: Patient) -> None:
    assert client.head(feed_url(primary)).status_code == 200


def test_a_second_tap_on_make_address_makes_one_and_shows_it_again(
    client: Client, primary: User
) -> None:
    from accounts.models import ApiToken

    client.force_login(primary)
    page = client.get(reverse("appointments:feeds"))
    assert page["Cache-Control"].startswith("max-age=0") or "no-store" in page["Cache-Control"]
    token = page.context["form"]["form_token"].value()
    data = {"form_token": str(token), "name": "phone"}
    first = client.post(reverse("appointments:feeds"), data).context["new_url"]
    second = client.post(reverse("appointments:feeds"), data).context["new_url"]
    assert first == second
    assert first.startswith("http://testserver/calendar/mt_")
    with acting_as(primary.pk):
        assert ApiToken.objects.count() == 1
    with system_context("test"):
        from django.contrib.sessions.models import Session

        assert not any(
            first.rsplit("/", 1)[1] in str(s.get_decoded()) for s in Session.objects.all()
        )
