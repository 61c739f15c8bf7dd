"""The preferences page, and the admin: notifications (resend), preferences, the task queue."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from accounts.models import User
from conftest import break_glass, work_tasks
from medtrack.rls import acting_as, system_context
from notifications.models import Notification, NotificationPreferences
from patients.models import Patient

pytestmark = pytest.mark.django_db
URL = reverse("notifications:preferences")


def all_defaults() -> dict[str, str]:
    """What the page posts when nothing is changed."""
    return {
        "email_enabled": "on",
        "dose_missed_in_app": "on",
        "dose_missed_email": "on",
        "refill_low_in_app": "on",
        "refill_low_email": "on",
        "appointment_upcoming_in_app": "on",
        "appointment_upcoming_email": "on",
        "measurement_out_of_range_in_app": "on",
        "measurement_out_of_range_email": "on",
        "caregiver_invited_in_app": "on",
        "caregiver_joined_in_app": "on",
        "file_shared_in_app": "on",
        "file_shared_email": "on",
        "export_ready_in_app": "on",
    }


def saved(user: User) -> NotificationPreferences | None:
    with acting_as(user.pk):
        return NotificationPreferences.objects.filter(user=user).first()


class TestPreferencesPage:
    def test_it_shows_the_defaults_and_the_zone_of_the_quiet_hours(
        self, client: Client, secondary: User
    ) -> None:
        settings = secondary.settings
        settings.timezone = "Europe/Madrid"
        settings.save()
        client.force_login(secondary)
        page = client.get(URL).content.decode()
        assert 'name="dose_missed_email" id="id_dose_missed_email" checked' in page
        assert 'name="dose_due_in_app"' in page
        assert 'name="dose_due_in_app" id="id_dose_due_in_app" checked' not in page
        assert "Europe/Madrid" in page
        assert '<span class="visually-hidden">Dose missed: By e-mail</span>' in page

    def test_saving_keeps_only_what_differs_from_the_defaults(
        self, client: Client, secondary: User
    ) -> None:
        client.force_login(secondary)
        data = {**all_defaults(), "dose_due_in_app": "on", "quiet_hours_start": "22:00"}
        data.pop("refill_low_email")
        data["quiet_hours_end"] = "07:00"
        response = client.post(URL, data, follow=True)
        assert "Your notification choices were saved." in response.content.decode()
        preferences = saved(secondary)
        assert preferences is not None
        assert preferences.channels == {"dose_due": ["in_app"], "refill_low": ["in_app"]}
        assert (preferences.quiet_hours_start, preferences.quiet_hours_end) == (
            dt.time(22),
            dt.time(7),
        )
        client.post(URL, data)  # the same again (a double submit): one row, same choices
        with system_context("test"):
            assert NotificationPreferences.objects.filter(user=secondary).count() == 1

    @pytest.mark.parametrize(
        ("start", "end", "message"),
        [
            ("22:00", "", "Give both times, or neither for no quiet hours."),
            ("22:00", "22:00", "Quiet hours must end at a different time."),
            ("25:00", "07:00", "Enter a valid time."),
        ],
    )
    def test_bad_quiet_hours_are_explained_and_nothing_typed_is_lost(
        self, client: Client, secondary: User, start: str, end: str, message: str
    ) -> None:
        client.force_login(secondary)
        data = {**all_defaults(), "dose_due_email": "on"}
        data.update(quiet_hours_start=start, quiet_hours_end=end)
        response = client.post(URL, data)
        page = response.content.decode()
        assert response.status_code == 200
        assert message in page
        assert 'name="dose_due_email" id="id_dose_due_email" checked' in page
        assert f'value="{start}"' in page
        assert saved(secondary) is None

    def test_it_costs_a_fixed_number_of_queries(
        self, client: Client, primary: User, django_assert_num_queries
    ) -> None:
        client.force_login(primary)
        # session, user, unread badge, savepoint, app.user_id, preferences, settings,
        # restore, release
        with django_assert_num_queries(8):
            client.get(URL)


class TestAdmin:
    def test_staff_can_send_an_e_mail_again(
        self, client: Client, staff: User, patient: Patient, primary: User
    ) -> None:
        break_glass(staff, patient)  # the patient's notifications need emergency access
        work_tasks()
        with system_context("test"):
            (flagged,) = Notification.objects.filter(user=primary, type="measurement_out_of_range")
        assert flagged.emailed_at is not None
        mail.outbox.clear()
        client.force_login(staff)
        response = client.post(
            reverse("admin:notifications_notification_changelist"),
            {"action": "resend_email", "_selected_action": [str(flagged.pk)]},
            follow=True,
        )
        assert "1 e-mail(s) queued" in response.content.decode()
        (task,) = work_tasks()
        assert task.return_value == "sent"
        assert [m.to for m in mail.outbox] == [[primary.email]]

    def test_sending_again_respects_an_opt_out_and_keeps_the_record(
        self, client: Client, staff: User, patient: Patient, primary: User
    ) -> None:
        break_glass(staff, patient)
        work_tasks()
        with system_context("test"):
            (flagged,) = Notification.objects.filter(user=primary, type="measurement_out_of_range")
            NotificationPreferences.objects.filter(user=primary).update(email_enabled=False)
        mail.outbox.clear()
        client.force_login(staff)
        client.post(
            reverse("admin:notifications_notification_changelist"),
            {"action": "resend_email", "_selected_action": [str(flagged.pk)]},
        )
        (task,) = work_tasks()
        assert task.return_value == "not sent: the recipient does not want it by e-mail"
        assert mail.outbox == []
        with system_context("test"):
            assert Notification.objects.get(pk=flagged.pk).emailed_at == flagged.emailed_at

    def test_the_pages_open(self, client: Client, staff: User, patient: Patient) -> None:
        client.force_login(staff)
        with system_context("test"):
            notification = Notification.objects.filter(patient=patient).first()
        assert notification is not None
        break_glass(staff, patient)  # staff see the patient's notifications under a grant
        pages = {}
        for url in (
            reverse("admin:notifications_notification_changelist"),
            reverse("admin:notifications_notification_change", args=[notification.pk]),
            reverse("admin:notifications_notificationpreferences_changelist"),
            reverse("admin:django_tasks_database_dbtaskresult_changelist"),
        ):
            response = client.get(url)
            assert response.status_code == 200, url
            pages[url] = response.content.decode()
        assert DBTaskResult.objects.exists()  # the fixture's alerts are queued
        queue = pages[reverse("admin:django_tasks_database_dbtaskresult_changelist")]
        assert "send_notification_email" in queue
        assert notification.title in pages[reverse("admin:notifications_notification_changelist")]
        choices = pages[reverse("admin:notifications_notificationpreferences_changelist")]
        assert "alice@example.com" in choices  # the fixture's quiet hours
