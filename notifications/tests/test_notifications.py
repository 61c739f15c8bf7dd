"""Notifications: once per person and event, to those who may see it, in the inbox."""

from __future__ import annotations

import datetime as dt
import threading
import uuid
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.db import connections
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.dateformat import format as date_format

from accounts.models import User
from caregivers.models import PatientCaregiver
from conftest import add_member, add_reading, make_patient, make_user, set_target
from doses.services import doses_sweep_missed
from medtrack.rls import acting_as, system_context
from notifications import services
from notifications.models import Notification
from patients.models import Patient

pytestmark = pytest.mark.django_db
MADRID = ZoneInfo("Europe/Madrid")
NOW = dt.datetime(2026, 11, 25, 7, 30, tzinfo=MADRID)


@pytest.fixture(autouse=True)
def early_morning(time_machine) -> None:
    time_machine.move_to(NOW, tick=False)


def inbox_of(user: User) -> list[Notification]:
    with acting_as(user.pk):
        return list(Notification.objects.order_by("created_at", "title"))


def test_a_missed_dose_reaches_the_team_once_naming_the_medication_and_time(
    patient: Patient, primary: User, secondary: User, viewer: User, time_machine
) -> None:
    with system_context("test"):
        PatientCaregiver.objects.filter(patient=patient, caregiver=viewer).update(
            permissions={"doses": "none"}
        )
    # Today's 20:00 dose of Metformin is not recorded; at 00:30 it is four hours late.
    later = dt.datetime(2026, 11, 26, 0, 30, tzinfo=MADRID)
    time_machine.move_to(later, tick=False)
    assert doses_sweep_missed(now=timezone.now()) >= 1
    created = services.notify_missed_doses(now=timezone.now())
    assert services.notify_missed_doses(now=timezone.now()) == 0  # a second run adds none
    missed = [n for n in inbox_of(secondary) if n.type == "dose_missed"]
    titles = {(n.title, n.body) for n in missed}
    assert (
        "Metformin was not given to Rosa Primary",
        "The 20:00 dose on Wed 25 Nov was not recorded.",
    ) in titles
    assert len([n for n in inbox_of(primary) if n.type == "dose_missed"]) == len(missed)
    assert [n for n in inbox_of(viewer) if n.type == "dose_missed"] == []  # may not see doses
    assert created == 2 * len(missed)
    assert missed[0].url == reverse("doses:today", args=[patient.pk])


def test_a_flagged_reading_reaches_each_member_in_their_units(
    patient: Patient, primary: User, secondary: User
) -> None:
    settings = secondary.settings
    settings.units = {**settings.units, "weight": "lb"}
    settings.save()
    set_target(primary, patient, "weight", Decimal(50), Decimal(80))
    add_reading(primary, patient, "weight", Decimal("82.5"))
    services.notify_flagged_readings(now=timezone.now())
    weight = {
        user.email: [
            n.body for n in inbox_of(user) if n.title.endswith("weight outside the target")
        ]
        for user in (primary, secondary)
    }
    assert weight["alice@example.com"] == ["82.5\xa0kg at 05:30 on Wed 25 Nov."]
    assert weight["bob@example.com"] == ["181.9\xa0lb at 05:30 on Wed 25 Nov."]


def test_a_member_who_leaves_no_longer_sees_notifications_about_the_patient(
    patient: Patient, secondary: User
) -> None:
    assert inbox_of(secondary)  # the fixture's flagged blood pressure
    with system_context("test"):
        PatientCaregiver.objects.filter(patient=patient, caregiver=secondary).update(
            is_active=False
        )
    assert inbox_of(secondary) == []


class TestInbox:
    def test_the_badge_the_list_open_and_read_all(
        self, client: Client, patient: Patient, primary: User
    ) -> None:
        client.force_login(primary)
        home = client.get(reverse("dashboard:home")).content.decode()
        assert 'aria-label="Notifications, 1 new"' in home
        page = client.get(reverse("notifications:inbox"))
        (notification,) = page.context["page"].items
        assert "blood pressure outside the target" in notification.title
        response = client.post(reverse("notifications:open", args=[notification.pk]))
        assert response["Location"] == reverse(
            "measurements:trend", args=[patient.pk, "blood_pressure"]
        )
        assert inbox_of(primary)[0].read_at is not None
        assert (
            'aria-label="Notifications, 0 new"'
            in client.get(reverse("dashboard:home")).content.decode()
        )

    def test_read_all_and_nobody_elses(
        self, client: Client, patient: Patient, primary: User, secondary: User
    ) -> None:
        (theirs,) = inbox_of(secondary)
        client.force_login(primary)
        client.post(reverse("notifications:open", args=[theirs.pk]))
        assert inbox_of(secondary)[0].read_at is None
        client.post(reverse("notifications:read_all"))
        assert all(n.read_at for n in inbox_of(primary))
        assert inbox_of(secondary)[0].read_at is None

    def test_an_empty_inbox_says_what_will_arrive(self, client: Client, stranger: User) -> None:
        client.force_login(stranger)
        assert "Nothing yet." in client.get(reverse("notifications:inbox")).content.decode()

    @pytest.mark.parametrize("extra", [0, 500])
    def test_a_page_costs_the_same_with_500(
        self,
        client: Client,
        patient: Patient,
        primary: User,
        extra: int,
        django_assert_num_queries,
    ) -> None:
        with system_context("test"):
            Notification.objects.bulk_create(
                Notification(
                    user=primary,
                    patient=patient,
                    type="system",
                    title=f"Note {n}",
                    dedupe_key=f"test:{n}",
                    created_at=NOW - dt.timedelta(minutes=n + 1),
                )
                for n in range(extra)
            )
        client.force_login(primary)
        # session, user, unread badge, savepoint, app.user_id, the page, restore, release
        with django_assert_num_queries(8):
            client.get(reverse("notifications:inbox"))


@pytest.mark.db_behaviour
@pytest.mark.django_db(transaction=True)
def test_two_runners_at_once_notify_each_person_once() -> None:
    users = [
        make_user(f"r{n}-{uuid.uuid4().hex[:6]}@example.com", f"Runner {n}") for n in range(3)
    ]
    patient = make_patient(users[0], f"Race {uuid.uuid4().hex[:6]}")
    for user in users[1:]:
        add_member(patient, user, "secondary")
    set_target(users[0], patient, "heart_rate", Decimal(50), Decimal(100))
    for value in (120, 130, 140):
        add_reading(users[0], patient, "heart_rate", Decimal(value))
    barrier = threading.Barrier(2)
    errors: list[Exception] = []
    counted: list[int] = []

    def runner() -> None:
        try:
            barrier.wait(timeout=10)
            counted.append(services.notify_flagged_readings(now=timezone.now()))
        except Exception as error:
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=runner) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    with system_context("test"):
        found = list(Notification.objects.filter(patient=patient).values_list("pk", flat=True))
    assert len(found) == 3 * 3  # three readings, three members, once each
    assert sum(counted) == 3 * 3  # and the runners' summaries say so, between them
    from django_tasks_db.models import DBTaskResult

    queued = DBTaskResult.objects.filter(args_kwargs__args__0__in=[str(pk) for pk in found])
    assert queued.count() == 3 * 3  # one e-mail each


def test_the_job_runner_sends_them(patient: Patient) -> None:
    from medtrack import jobs

    names = [job.name for job in jobs.JOBS]
    assert names.index("sweep_missed_doses") < names.index("notify_missed_doses")
    assert "notify_flagged_readings" in names


def test_appointment_reminders_come_at_their_offsets_once_each(
    patient: Patient, primary: User, secondary: User, viewer: User, time_machine
) -> None:
    from appointments.models import Appointment

    with system_context("test"):
        appointment = Appointment.objects.get(patient=patient)  # tomorrow 10:30 Madrid
    start = appointment.starts_at

    def reminders(user: User) -> list[str]:
        return [n.data["minutes"] for n in inbox_of(user) if n.type == "appointment_upcoming"]

    time_machine.move_to(start - dt.timedelta(days=1, minutes=1), tick=False)
    services.notify_upcoming_appointments(now=timezone.now())
    assert reminders(secondary) == []  # not yet
    time_machine.move_to(start - dt.timedelta(days=1), tick=False)
    services.notify_upcoming_appointments(now=timezone.now())
    services.notify_upcoming_appointments(now=timezone.now())
    assert reminders(secondary) == [1440]
    assert reminders(viewer) == [1440]  # viewers may see appointments
    time_machine.move_to(start - dt.timedelta(minutes=59), tick=False)
    services.notify_upcoming_appointments(now=timezone.now())
    assert reminders(primary) == [1440, 60]
    body = next(n.body for n in inbox_of(primary) if n.data.get("minutes") == 60)
    assert (
        body
        == f"{date_format(start.astimezone(MADRID), 'D j M')} at 10:30, Hospital Clínico, planta 3."
    )


def test_a_late_runner_sends_only_the_nearest_reminder(
    patient: Patient, primary: User, time_machine
) -> None:
    from appointments.models import Appointment

    with system_context("test"):
        start = Appointment.objects.get(patient=patient).starts_at
    time_machine.move_to(start - dt.timedelta(minutes=30), tick=False)  # both are due now
    services.notify_upcoming_appointments(now=timezone.now())
    assert [n.data["minutes"] for n in inbox_of(primary) if n.type == "appointment_upcoming"] == [
        60
    ]


def test_nobody_is_notified_about_a_deleted_patient(
    patient: Patient, primary: User, secondary: User
) -> None:
    from conftest import as_member
    from patients import services as patients
    from patients.access import Area

    with acting_as(primary.pk):
        patients.patient_soft_delete(
            patient=as_member(primary, patient, Area.PATIENT), actor=primary
        )
    with system_context("test"):
        Notification.objects.all().delete()  # the fixture's, from before the deletion
    assert services.notify_flagged_readings(now=timezone.now()) == 0  # its 150/95 is flagged
    assert inbox_of(secondary) == []


def test_opening_a_reminder_goes_to_the_appointment(
    client: Client, patient: Patient, secondary: User, time_machine
) -> None:
    from appointments.models import Appointment

    with system_context("test"):
        appointment = Appointment.objects.get(patient=patient)
    time_machine.move_to(appointment.starts_at - dt.timedelta(minutes=50), tick=False)
    services.notify_upcoming_appointments(now=timezone.now())
    (reminder,) = [n for n in inbox_of(secondary) if n.type == "appointment_upcoming"]
    client.force_login(secondary)
    assert "Cardiology check-up" in client.get(reverse("notifications:inbox")).content.decode()
    response = client.post(reverse("notifications:open", args=[reminder.pk]))
    assert response["Location"] == reverse(
        "appointments:detail", args=[patient.pk, appointment.pk]
    )


@pytest.mark.db_behaviour
@pytest.mark.django_db(transaction=True)
def test_two_workers_at_once_send_an_e_mail_once() -> None:
    from django.core import mail

    from notifications.tasks import send_notification_email

    user = make_user(f"m-{uuid.uuid4().hex[:6]}@example.com", "Mail Once")
    services.notify([user.pk], type="system", key="test:race", title=lambda: "Hello")
    with system_context("test"):
        (notification,) = Notification.objects.filter(user=user)
    mail.outbox.clear()
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def worker() -> None:
        try:
            barrier.wait(timeout=10)
            outcomes.append(send_notification_email.call(str(notification.pk)))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(outcomes) == [
        "nothing to send (sent already, being sent, or gone)",
        "sent",
    ]
    assert [m.to for m in mail.outbox] == [[user.email]]
