"""Delivery: preferences per type and channel, e-mail through the task queue,
quiet hours (DST included), retries, and the types beyond missed doses."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from accounts.models import User
from conftest import add_medication, add_reading, as_member, work_tasks
from doses.models import Dose
from doses.services import doses_sweep_missed
from medications.models import Medication
from medtrack.rls import acting_as, system_context
from notifications import services
from notifications.models import DEFAULT_CHANNELS, Notification, NotificationPreferences
from notifications.tasks import send_notification_email
from patients.models import Patient

pytestmark = pytest.mark.django_db
MADRID = ZoneInfo("Europe/Madrid")
NOW = dt.datetime(2026, 11, 25, 7, 30, tzinfo=MADRID)
REFUSING_SMTP = {
    "default": {
        "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "OPTIONS": {"host": "127.0.0.1", "port": 9, "timeout": 2},  # nothing listens on 9
    }
}


@pytest.fixture(autouse=True)
def early_morning(time_machine) -> None:
    time_machine.move_to(NOW, tick=False)


def choose(user: User, **fields: object) -> None:
    with acting_as(user.pk):
        NotificationPreferences.objects.update_or_create(user=user, defaults=fields)


def live_in(user: User, zone: str) -> None:
    settings = user.settings
    settings.timezone = zone
    settings.save()


def mine(user: User, type: str) -> list[Notification]:
    with acting_as(user.pk):
        return list(Notification.objects.filter(type=type).order_by("created_at"))


def sent_to(email: str) -> list[mail.EmailMessage]:
    return [message for message in mail.outbox if message.to == [email]]


def settle() -> None:
    """Send what is queued already (the fixture's alerts), and forget it."""
    work_tasks()
    mail.outbox.clear()


def miss_tonights_dose(time_machine) -> dt.datetime:
    """Today's 20:00 Metformin goes unrecorded; at 00:30 the sweep calls it missed."""
    later = dt.datetime(2026, 11, 26, 0, 30, tzinfo=MADRID)
    time_machine.move_to(later, tick=False)
    doses_sweep_missed(now=timezone.now())
    return later


class TestPreferences:
    def test_without_choices_the_defaults_apply(self, patient: Patient, primary: User) -> None:
        (flagged,) = mine(primary, "measurement_out_of_range")
        assert flagged.read_at is None  # in the app, as news
        work_tasks()
        (message,) = sent_to(primary.email)  # and by e-mail
        assert "Reading outside the target: Rosa" in message.subject

    def test_a_type_switched_off_is_neither_shown_nor_sent(
        self, patient: Patient, primary: User, secondary: User, time_machine
    ) -> None:
        choose(primary, channels={"dose_missed": []})
        miss_tonights_dose(time_machine)
        services.notify_missed_doses(now=timezone.now())
        assert mine(primary, "dose_missed") == []
        assert mine(secondary, "dose_missed") != []

    def test_e_mail_only_arrives_already_read(
        self, patient: Patient, primary: User, time_machine
    ) -> None:
        choose(primary, channels={"dose_missed": ["email"]})
        settle()
        miss_tonights_dose(time_machine)
        services.notify_missed_doses(now=timezone.now())
        (missed,) = mine(primary, "dose_missed")
        assert missed.read_at is not None
        work_tasks()
        assert [m.subject for m in sent_to(primary.email)] == ["Dose missed: Rosa · MedTrack"]

    def test_no_e_mail_at_all_when_switched_off(
        self, patient: Patient, primary: User, time_machine
    ) -> None:
        choose(primary, email_enabled=False)
        mail.outbox.clear()
        miss_tonights_dose(time_machine)
        services.notify_missed_doses(now=timezone.now())
        work_tasks()
        assert sent_to(primary.email) == []
        assert mine(primary, "dose_missed")[0].read_at is None  # still in the app

    def test_dose_due_is_opt_in(self, patient: Patient, primary: User, time_machine) -> None:
        assert DEFAULT_CHANNELS["dose_due"] == frozenset()
        choose(primary, channels={"dose_due": ["in_app"]})
        time_machine.move_to(dt.datetime(2026, 11, 25, 20, 10, tzinfo=MADRID), tick=False)
        assert services.notify_due_doses(now=timezone.now()) == 1  # Alice alone asked
        (due,) = mine(primary, "dose_due")
        assert (due.title, due.body) == ("Time for Metformin (Rosa Primary)", "Due at 20:00.")
        # A runner that wakes 45 minutes after a dose finds it overdue: no late nudge.
        time_machine.move_to(dt.datetime(2026, 11, 26, 8, 45, tzinfo=MADRID), tick=False)
        assert services.notify_due_doses(now=timezone.now()) == 0


class TestEmail:
    def test_the_e_mail_says_what_and_when_but_no_health_details(
        self, patient: Patient, secondary: User, time_machine
    ) -> None:
        settle()
        miss_tonights_dose(time_machine)
        services.notify_missed_doses(now=timezone.now())
        results = work_tasks()
        assert {r.return_value for r in results} == {"sent"}
        (message,) = sent_to(secondary.email)
        assert message.subject == "Dose missed: Rosa · MedTrack"
        assert "A dose for Rosa due Wed 25 Nov, 20:00 was not recorded." in message.body
        (missed,) = mine(secondary, "dose_missed")
        # A neutral link (the notification, which then leads to the page): an
        # address like /measurements/blood_glucose/ would say too much.
        link = f"http://127.0.0.1:8000{reverse('notifications:go', args=[missed.pk])}"
        assert link in message.body
        html, mime = message.alternatives[0]
        assert mime == "text/html"
        assert link in html
        assert "never include health details" in message.body
        for private in ("Metformin", "Primary", "500 mg", "diabetes"):
            assert private not in message.body + html + message.subject
        preferences = f"http://127.0.0.1:8000{reverse('notifications:preferences')}"
        assert message.extra_headers["List-Unsubscribe"] == f"<{preferences}>"
        assert mine(secondary, "dose_missed")[0].emailed_at == timezone.now()

    def test_names_are_escaped_in_html_only(self, primary: User) -> None:
        from conftest import make_patient

        patient = make_patient(primary, "D'Arcy <Smith>")
        mail.outbox.clear()
        services.notify(
            [primary.pk], type="refill_low", key="t", title=lambda: "x", patient=patient
        )
        work_tasks()
        (message,) = mail.outbox
        assert message.subject == "Refill soon: D'Arcy · MedTrack"
        assert "A medication for D'Arcy is running low" in message.body
        assert "A medication for D&#x27;Arcy is running low" in message.alternatives[0][0]

    def test_each_is_sent_once_even_if_queued_twice(self, patient: Patient, primary: User) -> None:
        (flagged,) = mine(primary, "measurement_out_of_range")
        send_notification_email.enqueue(str(flagged.pk))
        mail.outbox.clear()
        work_tasks()
        assert len(sent_to(primary.email)) == 1

    def test_a_refused_send_is_retried_later_and_visible_in_the_task_list(
        self, patient: Patient, primary: User, time_machine
    ) -> None:
        mail.outbox.clear()
        with override_settings(MAILERS=REFUSING_SMTP):
            failed = [r for r in work_tasks() if r.task_name == "send_notification_email"]
        assert {r.status for r in failed} == {"FAILED"}
        assert "ConnectionRefusedError" in failed[0].traceback
        retry = DBTaskResult.objects.filter(status="READY").first()
        assert retry is not None
        assert retry.args_kwargs["args"][1] == 2  # the second attempt
        assert retry.run_after == timezone.now() + dt.timedelta(minutes=1)
        assert work_tasks() == []  # not before its time
        time_machine.move_to(timezone.now() + dt.timedelta(minutes=1), tick=False)
        assert {r.return_value for r in work_tasks()} == {"sent"}
        assert len(sent_to(primary.email)) == 1

    def test_after_the_last_attempt_it_stays_failed(self, patient: Patient, primary: User) -> None:
        (flagged,) = mine(primary, "measurement_out_of_range")
        DBTaskResult.objects.all().delete()
        send_notification_email.enqueue(str(flagged.pk), 5)
        with override_settings(MAILERS=REFUSING_SMTP):
            (last,) = work_tasks()
        assert last.status == "FAILED"
        assert not DBTaskResult.objects.filter(status="READY").exists()


class TestStale:
    def test_no_e_mail_to_someone_who_left_the_team(
        self, patient: Patient, secondary: User, time_machine
    ) -> None:
        from caregivers.models import PatientCaregiver

        settle()
        miss_tonights_dose(time_machine)
        services.notify_missed_doses(now=timezone.now())
        with system_context("test"):
            PatientCaregiver.objects.filter(patient=patient, caregiver=secondary).update(
                is_active=False
            )
        outcomes = [r.return_value for r in work_tasks()]
        assert "not sent: no longer on the care team" in outcomes
        assert sent_to(secondary.email) == []

    def test_a_held_appointment_reminder_is_dropped_once_it_has_begun(
        self, patient: Patient, primary: User, time_machine
    ) -> None:
        from conftest import add_appointment

        live_in(primary, "Europe/Madrid")
        choose(primary, quiet_hours_start=dt.time(6), quiet_hours_end=dt.time(12))
        settle()
        at = dt.datetime(2026, 11, 26, 10, 0, tzinfo=MADRID)
        add_appointment(primary, patient, "Blood test", at=at)
        time_machine.move_to(at - dt.timedelta(hours=1), tick=False)
        services.notify_upcoming_appointments(now=timezone.now())
        time_machine.move_to(dt.datetime(2026, 11, 26, 12, 0, tzinfo=MADRID), tick=False)
        outcomes = [r.return_value for r in work_tasks()]
        assert "not sent: the appointment has begun" in outcomes
        assert sent_to(primary.email) == []


class TestQuietHours:
    def test_e_mail_waits_for_the_end_of_quiet_hours(
        self, patient: Patient, primary: User, time_machine
    ) -> None:
        live_in(primary, "Europe/Madrid")
        choose(primary, quiet_hours_start=dt.time(22), quiet_hours_end=dt.time(7, 45))
        DBTaskResult.objects.all().delete()
        mail.outbox.clear()
        time_machine.move_to(dt.datetime(2026, 11, 25, 23, 0, tzinfo=MADRID), tick=False)
        with system_context("test"):
            Notification.objects.all().delete()
        # An appointment reminder is not urgent: held until 07:45 on Alice's clock.
        services.notify(
            [primary.pk],
            type="appointment_upcoming",
            key="test:appointment",
            title=lambda: "Cardiology check-up",
            patient=patient,
        )
        assert mine(primary, "appointment_upcoming")[0].read_at is None  # the app shows it now
        (held,) = DBTaskResult.objects.filter(status="READY")
        assert held.run_after == dt.datetime(2026, 11, 26, 7, 45, tzinfo=MADRID)
        assert work_tasks() == []
        assert sent_to(primary.email) == []
        time_machine.move_to(dt.datetime(2026, 11, 26, 7, 45, tzinfo=MADRID), tick=False)
        assert [r.return_value for r in work_tasks()] == ["sent"]
        assert len(sent_to(primary.email)) == 1

    def test_urgent_types_ignore_quiet_hours(
        self, patient: Patient, primary: User, time_machine
    ) -> None:
        live_in(primary, "Europe/Madrid")
        choose(primary, quiet_hours_start=dt.time(22), quiet_hours_end=dt.time(7, 45))
        settle()
        time_machine.move_to(dt.datetime(2026, 11, 25, 23, 0, tzinfo=MADRID), tick=False)
        add_reading(primary, patient, "blood_pressure", Decimal(170), Decimal(100))
        services.notify_flagged_readings(now=timezone.now())
        work_tasks()
        assert [m.subject for m in sent_to(primary.email)] == [
            "Reading outside the target: Rosa · MedTrack"
        ]

    def test_preferences_changed_while_held_are_respected(
        self, patient: Patient, primary: User, time_machine
    ) -> None:
        live_in(primary, "Europe/Madrid")
        choose(primary, quiet_hours_start=dt.time(22), quiet_hours_end=dt.time(7))
        settle()
        time_machine.move_to(dt.datetime(2026, 11, 25, 23, 0, tzinfo=MADRID), tick=False)
        services.notify(
            [primary.pk], type="system", key="test:held", title=lambda: "Maintenance tonight"
        )
        choose(primary, email_enabled=False)
        time_machine.move_to(dt.datetime(2026, 11, 26, 7, 0, tzinfo=MADRID), tick=False)
        outcomes = {r.return_value for r in work_tasks()}
        assert "not sent: the recipient does not want it by e-mail" in outcomes
        assert "sent" not in outcomes

    @pytest.mark.parametrize(
        ("now", "start", "end", "until"),
        [
            # Over midnight, before and after it.
            ("2026-11-25 23:00", "22:00", "07:00", "2026-11-26 07:00"),
            ("2026-11-26 06:59", "22:00", "07:00", "2026-11-26 07:00"),
            ("2026-11-26 07:00", "22:00", "07:00", None),
            ("2026-11-25 21:59", "22:00", "07:00", None),
            # Within one day.
            ("2026-11-25 13:30", "13:00", "15:00", "2026-11-25 15:00"),
            ("2026-11-25 15:00", "13:00", "15:00", None),
            # The night the clocks go back (2026-10-25, 03:00 → 02:00): 07:00 is CET.
            ("2026-10-24 23:00", "22:00", "07:00", "2026-10-25 07:00"),
            # The night they go forward (2027-03-28, 02:00 → 03:00): 07:00 is CEST,
            # and an end the clocks skip moves forward by the gap.
            ("2027-03-27 23:00", "22:00", "07:00", "2027-03-28 07:00"),
            ("2027-03-28 01:30", "01:00", "02:30", "2027-03-28 03:30"),
            # In the second pass of the repeated hour (02:10 CET, after 02:59 CEST),
            # quiet hours ending at 02:30 end at the second 02:30, not in the past.
            ("2026-10-25 02:10+01:00", "22:00", "02:30", "2026-10-25 02:30+01:00"),
        ],
    )
    def test_quiet_hours_are_on_the_persons_clock(
        self, now: str, start: str, end: str, until: str | None
    ) -> None:
        def local(text: str) -> dt.datetime:
            found = dt.datetime.fromisoformat(text)
            if found.tzinfo is not None:  # a time the clocks show twice, by its offset
                return found.astimezone(MADRID)
            return found.replace(tzinfo=MADRID)

        preferences = NotificationPreferences(
            quiet_hours_start=dt.time.fromisoformat(start),
            quiet_hours_end=dt.time.fromisoformat(end),
        )
        found = preferences.quiet_until(local(now), MADRID)
        if until is None:
            assert found is None
        else:
            assert found.astimezone(dt.UTC) == local(until).astimezone(dt.UTC)
            assert found.astimezone(dt.UTC) > local(now).astimezone(dt.UTC)
            assert found.astimezone(MADRID).strftime("%H:%M") == (
                "03:30" if until == "2027-03-28 03:30" else end
            )


class TestMoreTypes:
    def test_refill_low_once_per_level_and_again_after_an_edit(
        self, patient: Patient, primary: User, viewer: User, time_machine
    ) -> None:
        medication = add_medication(
            primary, patient, "Atorvastatin", quantity_on_hand=12, refill_threshold=10
        )
        assert services.notify_refill_low(now=timezone.now()) == 0
        with system_context("test"):  # two doses given: 10 left
            Medication.objects.filter(pk=medication.pk).update(quantity_on_hand=10)
        assert services.notify_refill_low(now=timezone.now()) == 3  # the whole team
        assert services.notify_refill_low(now=timezone.now()) == 0
        (low,) = mine(viewer, "refill_low")
        assert (low.title, low.body) == (
            "Atorvastatin for Rosa Primary is running low",
            "10 left; time to refill.",
        )
        time_machine.move_to(timezone.now() + dt.timedelta(hours=1), tick=False)
        with system_context("test"):  # an edit that leaves it low reminds again
            Medication.objects.filter(pk=medication.pk).update(
                quantity_on_hand=Decimal(8), updated_at=timezone.now()
            )
        assert services.notify_refill_low(now=timezone.now()) == 3

    def test_a_dose_on_the_spring_forward_day_is_named_at_its_real_time(
        self, primary: User, time_machine
    ) -> None:
        from conftest import make_patient

        # 2027-03-28 02:30 does not exist in Madrid: the dose is at 03:30.
        time_machine.move_to(dt.datetime(2027, 3, 27, 12, 0, tzinfo=MADRID), tick=False)
        patient = make_patient(primary, "Luis Spring")
        add_medication(primary, patient, "Levothyroxine", start_date=dt.date(2027, 3, 27))
        with system_context("test"):
            Dose.objects.filter(patient=patient).delete()
        loaded = as_member(primary, patient)
        with acting_as(primary.pk):
            from medications import services as medications

            medication = Medication.objects.get(patient=patient)
            medications.schedule_create(
                patient=loaded,
                actor=primary,
                medication=medication,
                frequency="daily",
                times_of_day=[dt.time(2, 30)],
                days_of_week=[],
                interval=None,
                dose_amount=None,
                start_date=dt.date(2027, 3, 28),
                end_date=dt.date(2027, 3, 28),
            )
        time_machine.move_to(dt.datetime(2027, 3, 28, 8, 0, tzinfo=MADRID), tick=False)
        doses_sweep_missed(now=timezone.now())
        services.notify_missed_doses(now=timezone.now())
        bodies = {n.body for n in mine(primary, "dose_missed")}
        assert "The 03:30 dose on Sun 28 Mar was not recorded." in bodies

    def test_the_hooks_for_later_issues(self, patient: Patient, secondary: User) -> None:
        for type in ("file_shared", "export_ready"):
            assert (
                services.notify(
                    [secondary.pk], type=type, key=f"{type}:1", title=lambda: "x", patient=patient
                )
                == 1
            )
            assert (
                services.notify(
                    [secondary.pk], type=type, key=f"{type}:1", title=lambda: "x", patient=patient
                )
                == 0
            )
