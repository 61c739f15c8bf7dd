"""The timeline: day by day, newest first, a fixed number of queries per page."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import User
from caregivers.models import PatientCaregiver
from conftest import add_reading, write_journal
from journal.models import DailyLog
from measurements.models import Measurement
from medtrack.rls import acting_as, system_context
from patients.models import Patient

pytestmark = pytest.mark.django_db
MADRID = ZoneInfo("Europe/Madrid")
NOW = dt.datetime(2026, 11, 25, 21, 30, tzinfo=MADRID)
TODAY = NOW.date()


@pytest.fixture(autouse=True)
def evening_in_madrid(time_machine) -> None:
    time_machine.move_to(NOW, tick=False)


def url(patient: Patient, **params: str) -> str:
    query = "&".join(f"{k}={v}" for k, v in params.items())
    return reverse("journal:timeline", args=[patient.pk]) + (f"?{query}" if query else "")


def days_shown(client: Client, patient: Patient, **params: str) -> list[dt.date]:
    return [day.date for day in client.get(url(patient, **params)).context["page"].days]


def test_a_week_of_everything_newest_first_in_the_patients_days(
    client: Client, patient: Patient, primary: User
) -> None:
    # 00:30 Madrid on the 20th is still the 19th in UTC: it belongs to the 20th.
    add_reading(
        primary, patient, "weight", Decimal(67), at=dt.datetime(2026, 11, 20, 0, 30, tzinfo=MADRID)
    )
    write_journal(primary, patient, dt.date(2026, 11, 19), mood=2)
    client.force_login(primary)
    response = client.get(url(patient))
    page = response.context["page"]
    assert [d.date for d in page.days] == [TODAY, dt.date(2026, 11, 20), dt.date(2026, 11, 19)]
    kinds_today = [item.kind for item in page.days[0].items]
    assert kinds_today[0] == "journal"  # the day's journal first, then events newest first
    assert {"measurements", "doses"} <= set(kinds_today)
    assert (page.first, page.last) == (dt.date(2026, 11, 19), TODAY)


def test_older_skips_empty_weeks(client: Client, patient: Patient, primary: User) -> None:
    write_journal(primary, patient, dt.date(2026, 8, 3), mood=3)
    add_reading(primary, patient, "pain", Decimal(4), at=dt.datetime(2026, 7, 1, 9, tzinfo=MADRID))
    client.force_login(primary)
    first = client.get(url(patient)).context["page"]
    older = dt.date(2026, 8, 3)
    assert first.older == older  # not the empty weeks in between
    second = client.get(url(patient, until=str(older))).context["page"]
    assert [d.date for d in second.days] == [older]
    assert second.older == dt.date(2026, 7, 1)
    assert days_shown(client, patient, kind="journal", until=str(TODAY)) == [TODAY]
    journal_page = client.get(url(patient, kind="journal")).context["page"]
    assert journal_page.older == older
    assert days_shown(client, patient, kind="journal", until=str(older)) == [older]
    last = client.get(url(patient, kind="measurements", until="2026-07-01")).context["page"]
    assert [d.date for d in last.days] == [dt.date(2026, 7, 1)]
    assert last.older is None


def test_the_filter_shows_one_kind(client: Client, patient: Patient, primary: User) -> None:
    client.force_login(primary)
    page = client.get(url(patient, kind="measurements")).context["page"]
    assert {item.kind for day in page.days for item in day.items} == {"measurements"}
    everything = client.get(url(patient, kind="bogus")).context["page"]
    assert {item.kind for day in everything.days for item in day.items} == {
        "journal",
        "measurements",
        "doses",
    }


def test_a_member_sees_only_the_areas_they_may(
    client: Client, patient: Patient, secondary: User
) -> None:
    with system_context("test"):
        PatientCaregiver.objects.filter(patient=patient, caregiver=secondary).update(
            permissions={"doses": "none", "measurements": "none"}
        )
    client.force_login(secondary)
    response = client.get(url(patient, kind="doses"))
    items = {item.kind for day in response.context["page"].days for item in day.items}
    assert items == {"journal"}
    assert "?kind=doses" not in response.content.decode()


def test_an_empty_timeline_says_what_will_appear(
    client: Client, other_patient: Patient, stranger: User
) -> None:
    client.force_login(stranger)
    content = client.get(url(other_patient)).content.decode()
    assert "Nothing recorded yet." in content


@pytest.mark.parametrize("extra", [0, 500])
def test_a_page_costs_the_same_with_a_year_of_history(
    client: Client, patient: Patient, primary: User, extra: int, django_assert_num_queries
) -> None:
    with acting_as(primary.pk):
        Measurement.objects.bulk_create(
            Measurement(
                patient=patient,
                type="heart_rate",
                value=Decimal(60 + n % 30),
                unit="/min",
                measured_at=NOW - dt.timedelta(hours=17 * n + 1),
                recorded_by=primary,
            )
            for n in range(extra)
        )
        DailyLog.objects.bulk_create(
            DailyLog(
                patient=patient,
                log_date=TODAY - dt.timedelta(days=n + 1),
                mood=3,
                created_by=primary,
            )
            for n in range(min(extra, 360))
        )
    client.force_login(primary)
    # session, user, unread badge, savepoint, app.user_id, patient+membership, access log, user settings,
    # then per source (journal, readings, doses, appointments) its items, one union of
    # every source's newest earlier day, then restore and release
    with django_assert_num_queries(14):
        client.get(url(patient))


def test_looking_at_the_timeline_is_logged_as_such(
    client: Client, patient: Patient, primary: User
) -> None:
    from audit.models import AccessLog

    client.force_login(primary)
    client.get(url(patient))
    with system_context("test"):
        assert AccessLog.objects.filter(patient_id=patient.pk, object_type="timeline").count() == 1
    activity = client.get(reverse("audit:activity", args=[patient.pk])).context["page"].entries
    assert any(entry.text == "Alice Primary looked at the timeline page" for entry in activity)
