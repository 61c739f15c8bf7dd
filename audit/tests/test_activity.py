"""The Activity page: who changed what, in plain words, newest first, page by page."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import User
from audit.models import Activity
from caregivers import services as caregivers
from caregivers.models import PatientCaregiver
from conftest import as_member, edit_patient, make_user
from medtrack.rls import acting_as, system_context
from patients.access import Area
from patients.models import Patient

pytestmark = pytest.mark.django_db


def url(patient: Patient, **params: str) -> str:
    query = "&".join(f"{key}={value}" for key, value in params.items())
    return reverse("audit:activity", args=[patient.pk]) + (f"?{query}" if query else "")


def texts(client: Client, patient: Patient, **params: str) -> list[str]:
    return [entry.text for entry in client.get(url(patient, **params)).context["page"].entries]


edit = edit_patient


def test_primaries_read_the_story_in_plain_words(
    client: Client, patient: Patient, primary: User, secondary: User, viewer: User
) -> None:
    edit(patient, secondary, allergies=["penicillin", "latex"])
    with acting_as(primary.pk):
        caregivers.member_update(
            patient=as_member(primary, patient, Area.CAREGIVERS),
            actor=primary,
            member=PatientCaregiver.objects.get(patient=patient, caregiver=viewer),
            role="secondary",
            permissions={},
        )
    client.force_login(viewer)
    client.get(reverse("patients:detail", args=[patient.pk]))
    client.force_login(primary)

    story = texts(client, patient)

    assert story[:2] == [
        "Alice Primary looked at the activity page",
        "Vera Viewer looked at the profile page",
    ]
    assert "Alice Primary changed Vera Viewer's role from viewer to caregiver" in story
    assert "Bob Secondary changed the allergies from “penicillin” to “penicillin, latex”" in story
    assert "Alice Primary invited nina@example.com as viewer" in story
    assert "Vera Viewer joined as viewer" in story
    assert story[-1] == "Alice Primary added Rosa Primary"


def test_only_primaries_see_it(client: Client, patient: Patient, secondary: User) -> None:
    client.force_login(secondary)
    assert client.get(url(patient)).status_code == 403


def test_it_filters_by_person_and_area(
    client: Client, patient: Patient, primary: User, secondary: User
) -> None:
    edit(patient, secondary, timezone="Europe/Lisbon")
    client.force_login(primary)

    by_bob = texts(client, patient, person=str(secondary.pk))
    team_only = texts(client, patient, area="caregivers")

    assert by_bob == [
        "Bob Secondary changed the time zone from “Europe/Madrid” to “Europe/Lisbon”"
    ]
    assert "Vera Viewer joined as viewer" in team_only
    assert "Alice Primary invited nina@example.com as viewer" in team_only
    assert not any("time zone" in text or "added Rosa" in text for text in team_only)


def test_pages_go_back_in_time_without_gaps_or_repeats(
    client: Client, patient: Patient, primary: User
) -> None:
    for number in range(60):
        edit(patient, primary, medical_conditions=[f"condition {number}"])
    client.force_login(primary)

    first = client.get(url(patient)).context["page"]
    second = client.get(url(patient, before=first.next_cursor)).context["page"]

    assert len(first.entries) == 50
    keys = [e.key for e in first.entries] + [e.key for e in second.entries]
    assert len(keys) == len(set(keys))
    with system_context("test"):
        total = Activity.objects.filter(patient_id=patient.pk).count()
    assert len(keys) == total - 1  # the second page's own view was logged after it was read
    assert second.next_cursor is None


@pytest.mark.parametrize("events", [1, 60])
def test_it_runs_a_fixed_number_of_queries(
    client: Client, patient: Patient, primary: User, events: int, django_assert_num_queries
) -> None:
    for number in range(events):
        edit(patient, primary, medical_conditions=[f"condition {number}"])
    for number in range(5):
        with acting_as(primary.pk):
            caregivers.invitation_create(
                patient=as_member(primary, patient, Area.CAREGIVERS),
                actor=primary,
                email=f"guest{number}@example.com",
                role="viewer",
            )
    make_user("unrelated@example.com", "Unrelated")
    client.force_login(primary)
    # session, user, unread badge, savepoint, app.user_id, patient, access log, [system context:
    # savepoint, current_user and SET ROLE in one, activity, users, SET ROLE, release], people,
    # app.user_id, release (the outer savepoint and the app.user_id reset exist in tests only)
    with django_assert_num_queries(16):
        client.get(url(patient))


def test_medication_changes_read_plainly(client: Client, patient: Patient, primary: User) -> None:
    from medications import services as medications
    from medications.models import Medication

    with acting_as(primary.pk):
        loaded = as_member(primary, patient, Area.MEDICATIONS)
        medication = Medication.objects.get(patient=patient, name="Metformin")
        medications.medication_update(
            patient=loaded, actor=primary, medication=medication, strength="850 mg"
        )
        medications.medication_set_status(
            patient=loaded, actor=primary, medication=medication, status="paused"
        )
    client.force_login(primary)

    story = texts(client, patient, area="medications")

    assert story[0] == "Alice Primary paused Metformin"
    assert "Alice Primary changed Metformin's strength from “500 mg” to “850 mg”" in story
    assert "Alice Primary scheduled a medication: 08:00 and 20:00 every day" in story
    assert story[-1] == "Alice Primary added Metformin 500 mg"


def test_every_history_table_is_described_and_filed_under_an_area() -> None:
    from audit.activity import AREAS, DESCRIBERS, event_models

    tables = {model._meta.db_table for model in event_models()}
    assert tables <= set(DESCRIBERS), f"no describer for {tables - set(DESCRIBERS)}"
    assert tables <= set(AREAS)


def test_readings_targets_and_journal_entries_tell_their_story(
    client: Client, patient: Patient, primary: User, secondary: User
) -> None:
    import datetime as dt
    from decimal import Decimal

    from conftest import add_reading, set_target, write_journal
    from measurements import services as measurements
    from measurements.models import Measurement

    reading = add_reading(secondary, patient, "temperature", Decimal("38.4"))
    with acting_as(secondary.pk):
        measurements.measurement_delete(
            patient=as_member(secondary, patient, Area.MEASUREMENTS),
            actor=secondary,
            measurement=Measurement.objects.get(pk=reading.pk),
        )
    set_target(
        primary, patient, "blood_pressure", Decimal(90), Decimal(130), max_secondary=Decimal(85)
    )
    write_journal(secondary, patient, dt.date(2026, 11, 20), mood=3)
    client.force_login(primary)

    story = texts(client, patient, area="measurements") + texts(client, patient, area="logs")

    assert "Bob Secondary recorded temperature: 38.4\xa0°C" in story
    assert "Bob Secondary deleted a temperature reading (38.4\xa0°C)" in story
    assert "Alice Primary recorded blood pressure: 150/95\xa0mmHg" in story
    assert (
        "Alice Primary set the blood pressure target to 90–130\xa0mmHg (systolic), "
        "at most 85\xa0mmHg (diastolic)"
    ) in story
    assert "Bob Secondary wrote the journal for 20 November 2026" in story


def test_appointments_tell_their_story(
    client: Client, patient: Patient, primary: User, secondary: User
) -> None:
    from appointments import services as appointments
    from appointments.models import Appointment

    with system_context("test"):
        appointment = Appointment.objects.get(patient=patient)
    loaded = as_member(secondary, patient, Area.APPOINTMENTS)
    with acting_as(secondary.pk):
        appointments.appointment_update(
            patient=loaded, actor=secondary, appointment=appointment, version=None, escort=primary
        )
        appointments.appointment_set_status(
            patient=loaded, actor=secondary, appointment=appointment, status="cancelled"
        )
    client.force_login(primary)
    story = texts(client, patient, area="appointments")
    assert story == [
        "Bob Secondary cancelled “Cardiology check-up”",
        "Bob Secondary asked Alice Primary to take them to “Cardiology check-up”",
        "Alice Primary added the appointment “Cardiology check-up”",
    ]
