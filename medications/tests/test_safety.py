"""Double submits, tapers replacing a regimen, and input that must not cause a 500."""

from __future__ import annotations

import datetime as dt
import uuid
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import User
from conftest import add_medication
from doses.models import Dose
from medications.models import Medication, MedicationSchedule
from medtrack.rls import system_context
from patients.models import Patient

pytestmark = pytest.mark.django_db

MADRID = ZoneInfo("Europe/Madrid")


@pytest.fixture(autouse=True)
def morning_in_madrid(time_machine) -> None:
    time_machine.move_to(dt.datetime(2026, 11, 25, 9, 0, tzinfo=MADRID), tick=False)


def url(name: str, patient: Patient, *args: object) -> str:
    return reverse(f"medications:{name}", args=[patient.pk, *args])


def count(model: type, **filters: object) -> int:
    with system_context("test"):
        return model.objects.filter(**filters).count()


def test_double_submits_create_one_medication_one_schedule_and_one_taper(
    client: Client, patient: Patient, primary: User
) -> None:
    client.force_login(primary)
    token = str(uuid.uuid4())
    data = {
        "name": "Ibuprofen",
        "dose_amount": "1",
        "dose_unit": "tablet",
        "form": "tablet",
        "start_date": "2026-11-25",
        "form_token": token,
    }
    client.post(url("create", patient), data)
    second = client.post(url("create", patient), data)
    assert count(Medication, name="Ibuprofen") == 1
    assert second["Location"] == url("detail", patient, token)

    schedule = {
        "frequency": "daily",
        "times": ["09:30"],
        "start_date": "2026-11-25",
        "form_token": str(uuid.uuid4()),
        "save": "1",
    }
    client.post(url("schedule_create", patient, token), schedule)
    client.post(url("schedule_create", patient, token), schedule)
    assert count(MedicationSchedule, medication_id=token) == 1

    taper = {
        "start_date": "2026-12-10",
        "times": ["08:00"],
        "step1_amount": "2",
        "step1_days": "3",
        "form_token": str(uuid.uuid4()),
        "save": "1",
    }
    client.post(url("taper", patient, token), taper)
    client.post(url("taper", patient, token), taper)
    assert count(MedicationSchedule, medication_id=token) == 2


def test_a_token_of_another_family_reveals_nothing(
    client: Client, patient: Patient, other_patient: Patient, primary: User
) -> None:
    client.force_login(primary)
    data = {
        "name": "X",
        "dob": "1950-01-01",
        "gender": "other",
        "contact_name": "A",
        "contact_phone": "+34612345678",
        "contact_relationship": "son",
        "timezone": "UTC",
        "form_token": str(other_patient.pk),
    }
    response = client.post(reverse("patients:create"), data)
    assert response.status_code == 200
    assert "already used" in response.content.decode()


def test_a_taper_replaces_the_running_schedule_and_nothing_is_left_after_its_end(
    client: Client, patient: Patient, primary: User
) -> None:
    medication = add_medication(primary, patient, name="Prednisone")
    client.force_login(primary)
    client.post(
        url("taper", patient, medication.pk),
        {
            "start_date": "2026-11-27",
            "times": ["08:00"],
            "step1_amount": "2",
            "step1_days": "2",
            "form_token": str(uuid.uuid4()),
            "save": "1",
        },
    )

    with system_context("test"):
        original = (
            MedicationSchedule.objects.filter(medication=medication).order_by("start_date").first()
        )
        doses = list(Dose.objects.filter(medication=medication).order_by("scheduled_for"))
    assert original.end_date == dt.date(2026, 11, 26)
    last_day = max(d.scheduled_for.astimezone(MADRID).date() for d in doses)
    assert last_day == dt.date(2026, 11, 28)


def test_a_taper_before_the_medication_starts_is_refused_on_the_field(
    client: Client, patient: Patient, primary: User
) -> None:
    medication = add_medication(primary, patient, name="Prednisone")
    client.force_login(primary)
    response = client.post(
        url("taper", patient, medication.pk),
        {
            "start_date": "2020-01-01",
            "times": ["08:00"],
            "step1_amount": "2",
            "step1_days": "2",
            "form_token": str(uuid.uuid4()),
            "save": "1",
        },
    )
    assert response.status_code == 200
    assert "cannot start before the medication" in str(response.context["form"].errors)


def test_ending_an_ended_schedule_never_extends_it(
    client: Client, patient: Patient, primary: User
) -> None:
    medication = add_medication(primary, patient, name="Short course")
    with system_context("test"):
        schedule = MedicationSchedule.objects.get(medication=medication)
        MedicationSchedule.objects.filter(pk=schedule.pk).update(end_date=dt.date(2026, 11, 24))
    client.force_login(primary)
    client.post(url("schedule_end", patient, medication.pk, schedule.pk))
    with system_context("test"):
        assert MedicationSchedule.objects.get(pk=schedule.pk).end_date == dt.date(2026, 11, 24)


@pytest.mark.parametrize(
    "data",
    [
        {
            "frequency": "every_n_hours",
            "times": ["08:00"],
            "interval": "8",
            "start_date": "2026-11-25",
            "end_date": "9999-12-31",
        },
        {"frequency": "daily", "times": ["08:00"], "start_date": "0001-01-01"},
    ],
)
def test_far_away_dates_get_a_message_not_an_error(
    client: Client, patient: Patient, primary: User, data: dict[str, str]
) -> None:
    medication = add_medication(primary, patient, name="Dates")
    client.force_login(primary)
    for action in ("preview", "save"):
        response = client.post(
            url("schedule_create", patient, medication.pk), {**data, action: "1"}
        )
        assert response.status_code == 200
        assert "check the year" in response.content.decode()


def test_odd_input_elsewhere_gets_a_page_not_an_error(
    client: Client, patient: Patient, primary: User
) -> None:
    medication = add_medication(primary, patient, name="Odd")
    client.force_login(primary)
    assert (
        client.get(reverse("audit:activity", args=[patient.pk]), {"before": "1.\x00"}).status_code
        == 200
    )
    response = client.post(
        url("status", patient, medication.pk),
        {"status": "paused", "reason": "a\x00b"},
        follow=True,
    )
    assert response.status_code == 200
    assert "Choose pause, resume or stop" in response.content.decode()


def test_a_birthday_check_works_on_29_february(
    client: Client, primary: User, time_machine
) -> None:
    time_machine.move_to(dt.datetime(2028, 2, 29, 9, 0, tzinfo=MADRID), tick=False)
    client.force_login(primary)
    response = client.post(reverse("patients:create"), {"name": "Leap", "dob": "1880-01-01"})
    assert response.status_code == 200
    assert "check the year of birth" in response.content.decode()


def test_a_taper_the_model_refuses_gets_a_message_not_a_server_error(
    client, primary, patient
) -> None:
    from medications.models import Medication
    from medtrack.rls import system_context

    with system_context("test"):
        medication = Medication.objects.filter(patient=patient).first()
    client.force_login(primary)
    response = client.post(
        f"/patients/{patient.pk}/medications/{medication.pk}/taper/",
        {
            "save": "1",
            "start_date": "2200-12-30",
            "times": ["08:00"],
            "step1_amount": "1",
            "step1_days": "5",
        },
    )
    assert response.status_code == 200
    assert b"Please check the year" in response.content
