"""Appointments: add, edit, cancel, complete, delete; lists and the calendar."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import User
from appointments.models import Appointment
from conftest import add_appointment, make_patient
from medtrack.rls import acting_as, system_context
from patients.models import Patient

pytestmark = pytest.mark.django_db
MADRID = ZoneInfo("Europe/Madrid")
NOW = dt.datetime(2026, 11, 25, 9, 0, tzinfo=MADRID)


@pytest.fixture(autouse=True)
def morning_in_madrid(time_machine) -> None:
    time_machine.move_to(NOW, tick=False)


def saved(patient: Patient) -> list[Appointment]:
    with system_context("test"):
        return list(Appointment.objects.filter(patient=patient).order_by("starts_at"))


def form_data(client: Client, url: str, **values: object) -> dict[str, object]:
    form = client.get(url).context["form"]
    data: dict[str, object] = {
        "form_token": str(form["form_token"].value() or ""),
        "version": str(form["version"].value() or ""),
        "title": "Blood test",
        "appointment_type": "lab",
        "starts_at": "2026-12-01T08:15",
        "reminder_minutes": ["1440", "60"],
    }
    data.update(values)
    return data


class TestAdding:
    def url(self, patient: Patient) -> str:
        return reverse("appointments:create", args=[patient.pk])

    def test_a_caregiver_adds_one_on_the_patients_clock(
        self, client: Client, patient: Patient, secondary: User
    ) -> None:
        client.force_login(secondary)
        data = form_data(
            client,
            self.url(patient),
            escort=str(secondary.pk),
            ends_at="2026-12-01T08:45",
            location="Centro de Salud",
            reminder_minutes=["2880", "60"],
        )
        response = client.post(self.url(patient), data, follow=True)
        assert "Blood test was added." in response.content.decode()
        test = next(a for a in saved(patient) if a.title == "Blood test")
        assert test.starts_at == dt.datetime(2026, 12, 1, 7, 15, tzinfo=dt.UTC)
        assert (test.escort_id, test.created_by_id, test.reminder_minutes) == (
            secondary.pk,
            secondary.pk,
            [2880, 60],
        )
        client.post(self.url(patient), data)  # a double submit
        assert len([a for a in saved(patient) if a.title == "Blood test"]) == 1

    @pytest.mark.parametrize(
        ("values", "message"),
        [
            ({"title": ""}, "This field is required."),
            ({"ends_at": "2026-12-01T08:00"}, "The end must be after the start."),
            ({"starts_at": "2026-13-01T08:00"}, "Enter a valid date/time."),
            ({"starts_at": "2026-03-29T02:30"}, "the clocks went forward"),
            ({"escort": "00000000-0000-0000-0000-000000000000"}, "Select a valid choice."),
            ({"reminder_minutes": ["7"]}, "Select a valid choice."),
            ({"location": "a\x00b"}, "Null characters are not allowed."),
        ],
    )
    def test_bad_input_gets_a_message_and_keeps_what_was_typed(
        self, client: Client, patient: Patient, primary: User, values: dict, message: str
    ) -> None:
        client.force_login(primary)
        data = form_data(client, self.url(patient), notes="bring the fasting note", **values)
        response = client.post(self.url(patient), data)
        assert response.status_code == 200
        content = response.content.decode()
        assert message in content
        assert "bring the fasting note" in content
        assert len(saved(patient)) == 1  # only the fixture's

    def test_the_escort_must_be_on_the_team(
        self, client: Client, patient: Patient, primary: User, stranger: User
    ) -> None:
        client.force_login(primary)
        data = form_data(client, self.url(patient), escort=str(stranger.pk))
        assert "Select a valid choice." in client.post(self.url(patient), data).content.decode()

    def test_viewers_read_but_do_not_add(
        self, client: Client, patient: Patient, viewer: User
    ) -> None:
        client.force_login(viewer)
        assert client.get(self.url(patient)).status_code == 403
        listing = client.get(reverse("appointments:list", args=[patient.pk])).content.decode()
        assert "Cardiology check-up" in listing
        assert "Add an appointment" not in listing


class TestChanging:
    def appointment(self, patient: Patient) -> Appointment:
        (appointment,) = saved(patient)
        return appointment

    def test_cancel_restore_complete_and_delete(
        self, client: Client, patient: Patient, secondary: User
    ) -> None:
        appointment = self.appointment(patient)
        client.force_login(secondary)
        status_url = reverse("appointments:status", args=[patient.pk, appointment.pk])
        client.post(status_url, {"status": "cancelled"})
        assert self.appointment(patient).status == "cancelled"
        client.post(status_url, {"status": "scheduled"})
        assert self.appointment(patient).status == "scheduled"
        outcome_url = reverse("appointments:outcome", args=[patient.pk, appointment.pk])
        client.post(
            outcome_url, {"status": "completed", "outcome": "New beta blocker; see in 3 months"}
        )
        done = self.appointment(patient)
        assert (done.status, done.outcome, done.sequence) == (
            "completed",
            "New beta blocker; see in 3 months",
            3,
        )
        delete_url = reverse("appointments:delete", args=[patient.pk, appointment.pk])
        assert "Delete this appointment?" in client.get(delete_url).content.decode()
        client.post(delete_url)
        assert saved(patient) == []
        assert "already deleted" in client.post(delete_url, follow=True).content.decode()

    def test_a_concurrent_edit_is_not_lost(
        self, client: Client, patient: Patient, primary: User, secondary: User, time_machine
    ) -> None:
        appointment = self.appointment(patient)
        url = reverse("appointments:edit", args=[patient.pk, appointment.pk])
        client.force_login(primary)
        stale = form_data(client, url, title="Cardiology (moved)", starts_at="2026-11-27T12:00")
        time_machine.move_to(NOW + dt.timedelta(minutes=1), tick=False)
        other = Client()
        other.force_login(secondary)
        other.post(url, form_data(other, url, title="Cardiology", location="Room 12"))
        response = client.post(url, stale)
        assert "Someone else changed this appointment" in response.content.decode()
        assert "Cardiology (moved)" in response.content.decode()
        assert self.appointment(patient).location == "Room 12"

    def test_an_appointment_of_another_family_is_not_found(
        self, client: Client, patient: Patient, other_patient: Patient, stranger: User
    ) -> None:
        appointment = self.appointment(patient)
        client.force_login(stranger)
        url = reverse("appointments:detail", args=[other_patient.pk, appointment.pk])
        assert client.get(url).status_code == 404


class TestLists:
    def test_upcoming_and_past_by_page(
        self, client: Client, patient: Patient, primary: User
    ) -> None:
        for day in range(1, 31):
            add_appointment(primary, patient, f"Physio {day}", at=NOW + dt.timedelta(days=day))
            add_appointment(primary, patient, f"Old {day}", at=NOW - dt.timedelta(days=day))
        client.force_login(primary)
        url = reverse("appointments:list", args=[patient.pk])
        first = client.get(url).context["page"]
        assert [a.title for a in first.items][:2] == ["Physio 1", "Cardiology check-up"]
        assert len(first.items) == 25
        second = client.get(url, {"after": first.next_cursor}).context["page"]
        assert [a.title for a in second.items] == [f"Physio {d}" for d in range(25, 31)]
        past = client.get(url, {"past": "1"}).context["page"]
        assert [a.title for a in past.items][:2] == ["Old 1", "Old 2"]

    def test_the_patient_page_shows_the_next_appointment(
        self, client: Client, patient: Patient, viewer: User
    ) -> None:
        client.force_login(viewer)
        content = client.get(reverse("patients:detail", args=[patient.pk])).content.decode()
        assert "Next appointment" in content
        assert "Cardiology check-up" in content
        assert "Thu 26 Nov 2026, 10:30" in content


class TestCalendar:
    def test_a_week_across_my_patients_with_their_zones_named(
        self, client: Client, patient: Patient, primary: User
    ) -> None:
        abroad = make_patient(
            primary, "Tío Pepe", timezone="America/New_York", dob=dt.date(1950, 5, 5)
        )
        add_appointment(
            primary,
            abroad,
            "Dentist",
            at=dt.datetime(2026, 11, 26, 21, 30, tzinfo=ZoneInfo("America/New_York")),
        )
        with acting_as(primary.pk):
            settings = primary.settings
            settings.timezone = "Europe/Madrid"
            settings.save()
        client.force_login(primary)
        response = client.get(reverse("appointments:calendar"), {"date": "2026-11-25"})
        days = {day.date: [a.title for a in day.appointments] for day in response.context["days"]}
        # 21:30 in New York is already the 27th in Madrid: it stays on the patient's day.
        assert days[dt.date(2026, 11, 26)] == ["Cardiology check-up", "Dentist"]
        content = response.content.decode()
        assert '<abbr title="America/New_York">EST</abbr>' in content
        assert "Thu 26 Nov 2026, 10:30 <abbr" not in content  # Madrid: the viewer's own zone

    def test_a_month_grid(self, client: Client, patient: Patient, primary: User) -> None:
        (appointment,) = saved(patient)
        client.force_login(primary)
        client.post(
            reverse("appointments:status", args=[patient.pk, appointment.pk]),
            {"status": "cancelled"},
        )
        response = client.get(
            reverse("appointments:calendar"), {"view": "month", "date": "2026-11-03"}
        )
        weeks = response.context["weeks"]
        assert weeks[0][0].date == dt.date(2026, 10, 26)  # the Monday before the 1st
        assert all(len(week) == 7 for week in weeks)
        assert "Cardiology check-up · Rosa Primary (Cancelled)" in response.content.decode()
        assert 'aria-current="date"' in response.content.decode()

    def test_a_member_not_allowed_appointments_does_not_see_them(
        self, client: Client, patient: Patient, viewer: User
    ) -> None:
        from caregivers.models import PatientCaregiver

        with system_context("test"):
            PatientCaregiver.objects.filter(patient=patient, caregiver=viewer).update(
                permissions={"appointments": "none"}
            )
        client.force_login(viewer)
        response = client.get(reverse("appointments:calendar"))
        assert response.context["count"] == 0


@pytest.mark.parametrize("extra", [0, 199])
class TestQueryCounts:
    @pytest.fixture
    def busy(self, patient: Patient, primary: User, extra: int) -> Patient:
        with acting_as(primary.pk):
            Appointment.objects.bulk_create(
                Appointment(
                    patient=patient,
                    title=f"Session {n}",
                    starts_at=NOW + dt.timedelta(hours=3 * n + 1),
                    created_by=primary,
                    escort=primary,
                )
                for n in range(extra)
            )
        return patient

    def test_the_list(
        self, client: Client, busy: Patient, primary: User, django_assert_num_queries
    ) -> None:
        client.force_login(primary)
        # session, user, unread badge, savepoint, app.user_id, patient+membership, access log,
        # the page, restore, release (+ the viewer's settings for the zone labels)
        with django_assert_num_queries(10):
            client.get(reverse("appointments:list", args=[busy.pk]))

    @pytest.mark.parametrize("view", ["week", "month"])
    def test_the_calendar(
        self, client: Client, busy: Patient, primary: User, view: str, django_assert_num_queries
    ) -> None:
        client.force_login(primary)
        # session, user, unread badge, savepoint, app.user_id, the viewer's settings, the appointments,
        # restore, release
        with django_assert_num_queries(8):
            client.get(reverse("appointments:calendar"), {"view": view})

    def test_the_feed(
        self, client: Client, busy: Patient, primary: User, django_assert_num_queries
    ) -> None:
        from accounts import tokens
        from accounts.models import Scope

        with acting_as(primary.pk):
            _, secret = tokens.token_create(user=primary, name="p", scopes=[Scope.CALENDAR_READ])
        url = reverse("appointments:feed", args=[secret])
        client.get(url)  # the first use notes last_used_at
        # The token in system context (role switches, pghistory's context), then the
        # appointments as the token's user: the same count with 1 event or 200.
        with django_assert_num_queries(15):  # + the owner's settings (language, zone)
            client.get(url)


def test_a_cursor_with_an_offset_the_database_refuses_is_a_first_page(
    client: Client, patient: Patient, primary: User
) -> None:
    client.force_login(primary)
    url = reverse("appointments:list", args=[patient.pk])
    for cursor in (
        "0001-01-01T00:00:00+23:59|00000000-0000-0000-0000-000000000000",
        "9999-12-31T23:59:59-23:59|00000000-0000-0000-0000-000000000000",
        "2026-01-01T00:00:00+14:00|not-a-uuid",
    ):
        for past in ("", "1"):
            assert client.get(url, {"after": cursor, "past": past}).status_code == 200


def test_an_escort_who_left_stays_until_someone_else_is_chosen(
    client: Client, patient: Patient, primary: User, secondary: User
) -> None:
    from caregivers.models import PatientCaregiver

    with system_context("test"):
        PatientCaregiver.objects.filter(patient=patient, caregiver=secondary).update(
            is_active=False
        )
    (appointment,) = saved(patient)
    client.force_login(primary)
    url = reverse("appointments:edit", args=[patient.pk, appointment.pk])
    page = client.get(url).content.decode()
    assert "Bob Secondary (no longer on the team)" in page
    client.post(url, form_data(client, url, title="Cardiology", escort=str(secondary.pk)))
    assert saved(patient)[0].escort_id == secondary.pk
    assert saved(patient)[0].title == "Cardiology"


def test_the_same_edit_submitted_twice_is_saved_not_a_conflict(
    client: Client, patient: Patient, primary: User, time_machine
) -> None:
    (appointment,) = saved(patient)
    url = reverse("appointments:edit", args=[patient.pk, appointment.pk])
    client.force_login(primary)
    data = form_data(client, url, title="Cardiology (room 12)", starts_at="2026-11-26T10:30")
    client.post(url, data)
    time_machine.move_to(NOW + dt.timedelta(seconds=5), tick=False)
    response = client.post(url, data, follow=True)
    assert "Changes saved." in response.content.decode()
    assert "Someone else changed" not in response.content.decode()


def test_it_was_missed_from_the_outcome_page(
    client: Client, patient: Patient, secondary: User
) -> None:
    (appointment,) = saved(patient)
    client.force_login(secondary)
    url = reverse("appointments:outcome", args=[patient.pk, appointment.pk])
    assert "It was missed" in client.get(url).content.decode()
    response = client.post(url, {"status": "missed", "outcome": "Bus strike"}, follow=True)
    assert "Missed" in response.content.decode()
    missed = saved(patient)[0]
    assert (missed.status, missed.outcome) == ("missed", "Bus strike")
