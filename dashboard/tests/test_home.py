from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import User
from conftest import add_appointment, add_medication, add_reading, make_patient
from patients.models import Patient

pytestmark = pytest.mark.django_db

URL = reverse("dashboard:home")
# session, user, then inside the request's transaction: savepoint (tests only), app.user_id,
# the patients with their cards' numbers (today's progress, missed doses, flagged
# readings, low stock, invitations), doses due, appointments, notifications (with the badge's
# count), app.user_id restored, release (tests only). Production: 8.
QUERIES = 10


def test_anonymous_visitors_are_sent_to_log_in(client: Client) -> None:
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('accounts:login')}?next=/"


def test_a_new_caregiver_is_told_what_to_do_first(client: Client, primary: User) -> None:
    client.force_login(primary)
    content = client.get(URL).content.decode()
    assert "Hello, Alice Primary" in content
    assert "Let's get started" in content
    assert reverse("patients:create") in content


@pytest.mark.parametrize("count", [1, 20])
def test_it_lists_my_patients_in_a_fixed_number_of_queries(
    client: Client,
    primary: User,
    stranger: User,
    other_patient: Patient,
    count: int,
    django_assert_num_queries,
) -> None:
    for number in range(count):
        patient = make_patient(
            primary, f"Patient {number:02}", dob=dt.date(1950, 1, 1) + dt.timedelta(days=number)
        )
        # Each with medications, doses, readings and an appointment: the count stays.
        add_medication(primary, patient, quantity_on_hand=2, refill_threshold=5)
        add_reading(primary, patient, "heart_rate", Decimal(130 + number))
        add_appointment(primary, patient, f"Check-up {number}")
    client.force_login(primary)

    with django_assert_num_queries(QUERIES):
        content = client.get(URL).content.decode()

    assert content.count('class="patient-card"') == count
    assert content.count("is running low") == count
    assert "Tomás Stranger" not in content


class TestTheMorningView:
    @pytest.fixture(autouse=True)
    def at_eight(self, time_machine) -> None:
        # The fixture's Metformin is due at 08:00 and 20:00 on Rosa's clock (Madrid).
        time_machine.move_to(dt.datetime(2026, 11, 25, 7, 55, tzinfo=dt.UTC), tick=False)

    def test_what_is_due_and_what_needs_attention(
        self, client: Client, patient: Patient, secondary: User
    ) -> None:
        from django.utils import timezone

        from doses.models import Dose
        from medtrack.rls import system_context

        with system_context("test"):  # yesterday's evening dose went unrecorded
            Dose.objects.filter(
                patient=patient, scheduled_for__lt=timezone.now() - dt.timedelta(hours=5)
            ).update(status="missed")
            Dose.objects.filter(patient=patient, status="taken").update(status="pending")
        client.force_login(secondary)
        page = client.get(URL).content.decode()
        assert "Due now" in page
        assert "<strong>Rosa Primary</strong> · Metformin 500 mg" in page
        assert 'name="back" value="dashboard"' in page
        assert "Blood pressure" not in page  # no health detail beyond what to do
        assert "Rosa Primary: 1 reading outside its target" in page
        assert "Cardiology check-up" in page
        assert "0 of 2 doses given today" in page
        assert 'aria-describedby="dose-' in page  # "Taken" says which dose

    def test_viewers_and_narrowed_members_see_only_what_they_may(
        self, client: Client, patient: Patient, viewer: User, secondary: User
    ) -> None:
        from caregivers.models import PatientCaregiver
        from doses.models import Dose
        from medtrack.rls import system_context

        with system_context("test"):  # this morning's dose is still to give
            Dose.objects.filter(patient=patient, status="taken").update(status="pending")
        client.force_login(viewer)
        page = client.get(URL).content.decode()
        assert "Metformin" in page  # viewers see what is due…
        assert ">Taken</button>" not in page  # …but cannot record it
        with system_context("test"):
            PatientCaregiver.objects.filter(patient=patient, caregiver=secondary).update(
                permissions={"doses": "none", "measurements": "none", "appointments": "none"}
            )
        client.force_login(secondary)
        page = client.get(URL).content.decode()
        assert "Metformin" not in page
        assert "outside its target" not in page
        assert "Cardiology check-up" not in page

    def test_taken_in_one_tap_updates_the_row_in_place(
        self, client: Client, patient: Patient, secondary: User
    ) -> None:
        from doses.models import Dose
        from medtrack.rls import acting_as

        with acting_as(secondary.pk):
            dose = (
                Dose.objects.filter(patient=patient, status="pending")
                .order_by("scheduled_for")
                .first()
            )
        client.force_login(secondary)
        record = reverse("doses:record", args=[patient.pk, dose.pk])
        response = client.post(
            record, {"action": "taken", "back": "dashboard"}, headers={"HX-Request": "true"}
        )
        row = response.content.decode()
        assert "<strong>Rosa Primary</strong>" in row
        assert ">Taken<" in row
        # Without JavaScript: back to the dashboard.
        plain = client.post(record, {"action": "undo", "back": "dashboard"})
        assert plain["Location"] == URL

    def test_managers_see_waiting_invitations(
        self, client: Client, patient: Patient, primary: User, secondary: User
    ) -> None:
        client.force_login(primary)
        assert (
            "Rosa Primary: 1 invitation waiting for an answer" in client.get(URL).content.decode()
        )
        client.force_login(secondary)
        assert "invitation waiting" not in client.get(URL).content.decode()


def test_coming_up_and_notifications(
    client: Client, patient: Patient, primary: User, secondary: User
) -> None:
    """The next five booked appointments, soonest first (not past or cancelled
    ones); the three newest unread notifications and how many are unread."""
    import datetime as dt

    from django.utils import timezone

    from appointments.models import Appointment
    from medtrack.rls import system_context
    from notifications.models import Notification

    soon = timezone.now() + dt.timedelta(days=1)
    for days in (6, 2, 5, 1, 3, 4):  # the 6th day's is the sixth: not shown
        add_appointment(primary, patient, f"Visit in {days} days", at=soon + dt.timedelta(days))
    add_appointment(primary, patient, "Called off", at=soon, status="cancelled")
    with system_context("test"):
        Appointment.objects.filter(title="Visit in 1 days").update(title="Visit tomorrow")
        for number in range(5):
            Notification.objects.create(
                user=secondary,
                patient=patient,
                type="dose_due",
                title=f"Notice {number}",
                dedupe_key=f"test:{number}",
                read_at=timezone.now() if number == 0 else None,
            )
        notices = {n.title: n.pk for n in Notification.objects.filter(user=secondary)}
        unread = Notification.objects.filter(user=secondary, read_at__isnull=True).count()
    client.force_login(secondary)
    page = client.get(URL).content.decode()

    coming = page.split('id="coming-heading"')[1].split("</section>")[0]
    shown = [line.split(": ")[-1].split("<")[0] for line in coming.splitlines() if "<li>" in line]
    assert shown == [  # the fixture's check-up is tomorrow at 10:30 on Rosa's clock
        *sorted(["Visit tomorrow", "Cardiology check-up"], key=coming.index),
        "Visit in 2 days",
        "Visit in 3 days",
        "Visit in 4 days",
    ]
    assert "Called off" not in page
    assert "Rosa Primary: Visit tomorrow" in page
    for number in (4, 3, 2):
        go = reverse("notifications:go", kwargs={"notification_id": notices[f"Notice {number}"]})
        assert f'<a href="{go}">Notice {number}</a>' in page
    assert "Notice 1<" not in page  # the fourth newest
    assert unread >= 4  # with the fixture's own
    assert f"See all {unread} new notifications" in page
