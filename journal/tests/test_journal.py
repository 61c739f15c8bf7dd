"""The daily journal: one entry per caregiver and day, quick to write, never lost."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import User
from conftest import write_journal
from journal.models import DailyLog
from medtrack.rls import system_context
from patients.models import Patient

pytestmark = pytest.mark.django_db
MADRID = ZoneInfo("Europe/Madrid")
NOW = dt.datetime(2026, 11, 25, 21, 30, tzinfo=MADRID)
TODAY = NOW.date()


@pytest.fixture(autouse=True)
def evening_in_madrid(time_machine) -> None:
    time_machine.move_to(NOW, tick=False)


def entries(patient: Patient) -> list[DailyLog]:
    with system_context("test"):
        return list(DailyLog.objects.filter(patient=patient).order_by("log_date", "created_at"))


def write_url(patient: Patient, day: dt.date | None = None) -> str:
    url = reverse("journal:write", args=[patient.pk])
    return f"{url}?date={day.isoformat()}" if day else url


def fresh_form(client: Client, patient: Patient, day: dt.date | None = None) -> dict[str, str]:
    form = client.get(write_url(patient, day)).context["form"]
    version = form["version"].value()
    return {"form_token": str(form["form_token"].value()), "version": str(version or "")}


def test_a_caregiver_writes_todays_entry(
    client: Client, patient: Patient, secondary: User
) -> None:
    client.force_login(secondary)
    data = {
        **fresh_form(client, patient),
        "mood": "2",
        "energy": "3",
        "pain_level": "6",
        "sleep_hours": "5.5",
        "sleep_quality": "2",
        "symptoms": ["knee pain", "Tired", "tired", ""],
        "activities": ["walk"],
        "notes": "  Slept badly after the physio.  ",
    }
    response = client.post(write_url(patient), data, follow=True)
    assert "Journal entry saved for Wednesday 25 November." in response.content.decode()
    mine = [e for e in entries(patient) if e.created_by_id == secondary.pk]
    assert len(mine) == 1
    entry = mine[0]
    assert (entry.log_date, entry.mood, entry.pain_level, entry.sleep_hours) == (
        TODAY,
        2,
        6,
        Decimal("5.50"),
    )
    assert entry.symptoms == ["knee pain", "Tired"]
    assert entry.notes == "Slept badly after the physio."


def test_the_day_follows_the_patients_calendar(
    client: Client, patient: Patient, secondary: User, time_machine
) -> None:
    # 00:30 in Madrid is still the 25th in UTC: the entry is for Madrid's 26th.
    time_machine.move_to(dt.datetime(2026, 11, 26, 0, 30, tzinfo=MADRID), tick=False)
    client.force_login(secondary)
    client.post(write_url(patient), {**fresh_form(client, patient), "mood": "4"})
    assert {e.log_date for e in entries(patient) if e.created_by_id == secondary.pk} == {
        dt.date(2026, 11, 26)
    }


def test_writing_again_edits_the_same_entry(
    client: Client, patient: Patient, primary: User
) -> None:
    # The fixture wrote the primary's entry for today (mood 4).
    client.force_login(primary)
    page = client.get(write_url(patient))
    assert "You are editing your entry for this day." in page.content.decode()
    assert page.context["form"]["mood"].value() == 4
    data = {**fresh_form(client, patient), "mood": "5", "symptoms": ["tired"]}
    client.post(write_url(patient), data)
    (entry,) = entries(patient)
    assert (entry.mood, entry.sleep_hours) == (5, None)


def test_a_double_submit_makes_one_entry(
    client: Client, patient: Patient, secondary: User
) -> None:
    client.force_login(secondary)
    data = {**fresh_form(client, patient), "mood": "3"}
    client.post(write_url(patient), data)
    response = client.post(write_url(patient), data, follow=True)
    assert "already saved" in response.content.decode()
    assert len([e for e in entries(patient) if e.created_by_id == secondary.pk]) == 1


def test_an_entry_written_meanwhile_in_another_window_is_not_lost(
    client: Client, patient: Patient, secondary: User
) -> None:
    client.force_login(secondary)
    first_tab = fresh_form(client, patient)
    second_tab = fresh_form(client, patient)
    client.post(write_url(patient), {**first_tab, "mood": "2", "notes": "from the phone"})
    response = client.post(
        write_url(patient), {**second_tab, "mood": "4", "notes": "from the laptop"}
    )
    content = response.content.decode()
    assert "saved from another window" in content
    assert "from the laptop" in content  # what was typed is kept
    (entry,) = [e for e in entries(patient) if e.created_by_id == secondary.pk]
    assert entry.notes == "from the phone"
    data = {**second_tab, "version": str(response.context["form"]["version"].value())}
    client.post(write_url(patient), {**data, "mood": "4", "notes": "from the laptop"})
    (entry,) = [e for e in entries(patient) if e.created_by_id == secondary.pk]
    assert (entry.mood, entry.notes) == (4, "from the laptop")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({}, "Fill in at least one thing"),
        ({"sleep_hours": "25"}, "less than or equal to 24"),
        ({"mood": "9"}, "Select a valid choice"),
        ({"notes": "bad\x00byte"}, "character"),
    ],
)
def test_bad_input_gets_a_clear_message(
    client: Client, patient: Patient, secondary: User, data: dict[str, str], message: str
) -> None:
    client.force_login(secondary)
    response = client.post(write_url(patient), {**fresh_form(client, patient), **data})
    assert response.status_code == 200
    assert message in response.content.decode()
    assert [e.created_by_id for e in entries(patient)] == [patient.created_by_id]


def test_a_past_day_can_be_written_but_not_a_future_one(
    client: Client, patient: Patient, secondary: User
) -> None:
    client.force_login(secondary)
    last_week = TODAY - dt.timedelta(days=7)
    client.post(
        write_url(patient, last_week), {**fresh_form(client, patient, last_week), "mood": "3"}
    )
    assert last_week in {e.log_date for e in entries(patient)}
    response = client.get(write_url(patient, TODAY + dt.timedelta(days=1)), follow=True)
    assert "Choose a day up to today." in response.content.decode()
    assert client.get(write_url(patient).replace("?", "") + "?date=garbage").status_code == 302


def test_suggestions_come_from_what_was_used_before(
    client: Client, patient: Patient, primary: User, secondary: User
) -> None:
    write_journal(
        secondary,
        patient,
        TODAY - dt.timedelta(days=3),
        symptoms=["dizzy"],
        activities=["day centre"],
    )
    client.force_login(secondary)
    content = client.get(write_url(patient)).content.decode()
    assert '<option value="dizzy">' in content
    assert '<option value="tired">' in content
    assert '<option value="day centre">' in content
    assert 'list="id_symptoms-suggestions"' in content


def test_viewers_read_the_journal_but_do_not_write(
    client: Client, patient: Patient, viewer: User
) -> None:
    client.force_login(viewer)
    content = client.get(reverse("journal:home", args=[patient.pk])).content.decode()
    assert "Alice Primary" in content
    assert "Write today" not in content
    assert client.get(write_url(patient)).status_code == 403


def test_only_the_author_or_a_primary_deletes_an_entry(
    client: Client, patient: Patient, primary: User, secondary: User
) -> None:
    theirs = write_journal(secondary, patient, mood=3)
    (mine,) = [e for e in entries(patient) if e.created_by_id == primary.pk]
    client.force_login(secondary)
    assert client.post(reverse("journal:delete", args=[patient.pk, mine.pk])).status_code == 403
    client.force_login(primary)
    assert (
        "Delete this journal entry?"
        in client.get(reverse("journal:delete", args=[patient.pk, theirs.pk])).content.decode()
    )
    client.post(reverse("journal:delete", args=[patient.pk, theirs.pk]))
    assert [e.created_by_id for e in entries(patient)] == [primary.pk]


def test_the_home_page_shows_today_and_small_trends(
    client: Client, patient: Patient, primary: User
) -> None:
    for days_ago in range(1, 20):
        write_journal(
            primary,
            patient,
            TODAY - dt.timedelta(days=days_ago),
            mood=1 + days_ago % 5,
            pain_level=days_ago % 10,
        )
    client.force_login(primary)
    content = client.get(reverse("journal:home", args=[patient.pk]) + "?days=30").content.decode()
    assert "Edit today&#x27;s entry" in content or "Edit today's entry" in content
    assert content.count("<svg") == 3
    assert "20 days with an entry." in content  # mood: today's and 19 before
    assert "1 day with an entry." in content  # sleep: only today's
    assert content.count("Show as a table") == 3
    assert "<td>Wed 25 Nov</td><td>4</td>" in content  # the fixture's mood today


def test_the_patient_page_reaches_todays_entry_in_one_tap(
    client: Client, patient: Patient, secondary: User
) -> None:
    client.force_login(secondary)
    content = client.get(reverse("patients:detail", args=[patient.pk])).content.decode()
    assert f'href="{write_url(patient)}"' in content


def test_an_entry_saved_after_midnight_stays_on_its_day(
    client: Client, patient: Patient, secondary: User, time_machine
) -> None:
    time_machine.move_to(dt.datetime(2026, 11, 25, 23, 55, tzinfo=MADRID), tick=False)
    client.force_login(secondary)
    page = client.get(write_url(patient))
    assert 'action="?date=2026-11-25"' in page.content.decode()
    token = str(page.context["form"]["form_token"].value())
    time_machine.move_to(dt.datetime(2026, 11, 26, 0, 5, tzinfo=MADRID), tick=False)
    client.post(write_url(patient, TODAY), {"form_token": token, "version": "", "mood": "3"})
    assert [e.log_date for e in entries(patient) if e.created_by_id == secondary.pk] == [TODAY]


def test_a_character_that_cannot_be_stored_gets_a_message_not_an_error(
    client: Client, patient: Patient, secondary: User
) -> None:
    client.force_login(secondary)
    data = {**fresh_form(client, patient), "symptoms": ["a\x00b"], "activities": ["\x00"]}
    response = client.post(write_url(patient), data)
    assert response.status_code == 200
    assert "contains a character we cannot store" in response.content.decode()


def test_a_tapped_answer_can_be_taken_back(
    client: Client, patient: Patient, primary: User
) -> None:
    client.force_login(primary)
    page = client.get(write_url(patient))
    assert "Not noted" in page.content.decode()
    data = {**fresh_form(client, patient), "mood": "", "sleep_hours": "7"}
    client.post(write_url(patient), data)
    (entry,) = entries(patient)
    assert (entry.mood, entry.sleep_hours) == (None, Decimal(7))


def test_saving_the_same_edit_twice_is_not_a_conflict(
    client: Client, patient: Patient, primary: User, time_machine
) -> None:
    client.force_login(primary)
    data = {**fresh_form(client, patient), "mood": "2"}
    client.post(write_url(patient), data)
    time_machine.move_to(NOW + dt.timedelta(seconds=5), tick=False)
    response = client.post(write_url(patient), data, follow=True)
    assert "Journal entry saved" in response.content.decode()
    assert "another window" not in response.content.decode()


def test_deleting_twice_says_it_is_done(client: Client, patient: Patient, primary: User) -> None:
    (entry,) = entries(patient)
    client.force_login(primary)
    url = reverse("journal:delete", args=[patient.pk, entry.pk])
    client.post(url)
    assert "already deleted" in client.post(url, follow=True).content.decode()


def test_suggestions_keep_room_for_activities(patient: Patient, primary: User) -> None:
    from journal.selectors import suggestions

    write_journal(
        primary,
        patient,
        TODAY - dt.timedelta(days=1),
        symptoms=[f"s{n}" for n in range(30)],
        activities=["walk"],
    )
    with system_context("test"):
        found = suggestions(patient, TODAY, limit=10)
    assert len(found["symptoms"]) == 10
    assert found["activities"] == ["walk"]
