"""Settings → Delete my account: refused while the only primary, then a scrubbed,
deactivated ``users`` row, the family's records intact, everything personal gone."""

from __future__ import annotations

import io
import threading
import uuid
from decimal import Decimal
from typing import Any

import pytest
from django.apps import apps
from django.contrib.auth import authenticate
from django.contrib.auth.models import AnonymousUser
from django.core.files.storage import default_storage
from django.db import connection, connections
from django.test import Client, RequestFactory
from django.urls import reverse

from accounts import leaving, services
from accounts.models import ApiToken, FormDraft, User, UserSettings
from appointments.models import Appointment
from audit.models import AccessLog
from audit.services import access_log_record
from caregivers import services as caregivers
from caregivers.models import CaregiverInvitation, PatientCaregiver
from conftest import (
    PASSWORD,
    add_appointment,
    add_file,
    add_member,
    add_reading,
    as_member,
    make_patient,
    make_user,
    png_bytes,
    write_journal,
)
from doses.models import Dose
from files.models import File
from journal.models import DailyLog
from measurements.models import Measurement
from medtrack.rls import acting_as, system_context
from notifications.models import Notification, NotificationPreferences
from patients import services as patients
from patients.access import Area
from patients.models import Patient
from sync.models import SyncLog

pytestmark = pytest.mark.django_db

URL = reverse("accounts:delete")
CONFIRM = {"password": PASSWORD, "understood": "on"}


def membership(patient: Patient, user: User) -> PatientCaregiver:
    with system_context("test"):
        return PatientCaregiver.objects.get(patient=patient, caregiver=user)


def hand_over(patient: Patient, primary: User, to: User) -> None:
    """The way out the page offers: make someone else primary on the team page."""
    with acting_as(primary.pk):
        caregivers.member_update(
            patient=as_member(primary, patient, Area.CAREGIVERS),
            actor=primary,
            member=membership(patient, to),
            role="primary",
            permissions={},
        )


def delete_account(client: Client, user: User) -> Any:
    client.force_login(user)
    return client.post(URL, CONFIRM)


def check_deferred_constraints() -> None:
    """Run the commit-time checks now (the test's transaction never commits):
    ``patient_caregivers_keep_a_primary`` would fail the real commit."""
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")


class TestThePage:
    def test_it_explains_what_happens_and_asks_for_the_password(
        self, client: Client, patient: Patient, secondary: User
    ) -> None:
        client.force_login(secondary)
        response = client.get(URL)
        content = response.content.decode()
        assert response.status_code == 200
        assert "Former caregiver" in content
        assert "You leave every care team" in content
        assert 'name="password"' in content
        assert 'type="checkbox" name="understood"' in content
        assert reverse("accounts:data_download") in content
        assert "style=" not in content
        assert "<script>" not in content

    def test_the_only_primary_is_shown_the_two_ways_out_and_no_button(
        self, client: Client, patient: Patient, primary: User
    ) -> None:
        client.force_login(primary)
        response = client.get(URL)
        content = response.content.decode()
        assert [p.name for p in response.context["blockers"].sole_primary] == ["Rosa Primary"]
        assert reverse("caregivers:team", args=[patient.pk]) in content
        assert reverse("patients:delete", args=[patient.pk]) in content
        assert "Delete my account for good" not in content
        assert 'name="password"' not in content

    def test_the_goodbye_page_is_open_to_anyone_signed_out(
        self, client: Client, primary: User
    ) -> None:
        response = client.get(reverse("accounts:goodbye"))
        assert response.status_code == 200
        assert "Your account is deleted" in response.content.decode()
        client.force_login(primary)
        assert client.get(reverse("accounts:goodbye"))["Location"] == reverse("dashboard:home")


class TestRefusals:
    def test_it_is_refused_while_they_are_the_only_primary(
        self, client: Client, patient: Patient, primary: User
    ) -> None:
        response = delete_account(client, primary)

        assert response.status_code == 400
        assert "You are the only primary caregiver of Rosa Primary" in response.content.decode()
        primary.refresh_from_db()
        assert primary.is_active
        assert primary.email == "alice@example.com"
        assert membership(patient, primary).is_active

    def test_a_wrong_password_keeps_the_form_and_everything(
        self, client: Client, patient: Patient, secondary: User
    ) -> None:
        client.force_login(secondary)

        response = client.post(URL, {"password": "not-my-password", "understood": "on"})

        assert response.status_code == 400
        assert response.context["form"].errors["password"] == [
            "That is not your password. Nothing was deleted."
        ]
        assert 'name="understood" required id="id_understood" checked' in (
            response.content.decode()
        )
        secondary.refresh_from_db()
        assert (secondary.is_active, secondary.name) == (True, "Bob Secondary")
        assert membership(patient, secondary).is_active
        assert client.get(reverse("accounts:settings")).status_code == 200  # still signed in

    def test_the_confirmation_box_must_be_ticked(
        self, client: Client, patient: Patient, secondary: User
    ) -> None:
        client.force_login(secondary)
        response = client.post(URL, {"password": PASSWORD})
        assert response.status_code == 400
        assert response.context["form"].errors["understood"] == ["Tick this box to confirm."]
        secondary.refresh_from_db()
        assert secondary.is_active

    def test_the_service_refuses_too_and_changes_nothing(
        self, patient: Patient, primary: User
    ) -> None:
        with acting_as(primary.pk), pytest.raises(leaving.SolePrimary) as refused:
            leaving.account_delete(user=primary)
        assert [p.pk for p in refused.value.patients] == [patient.pk]
        primary.refresh_from_db()
        assert primary.is_active


class TestWaysOut:
    def test_after_handing_over_the_team_the_account_can_go(
        self, client: Client, patient: Patient, primary: User, secondary: User
    ) -> None:
        hand_over(patient, primary, secondary)

        response = delete_account(client, primary)

        assert response.status_code == 302
        assert response["Location"] == reverse("accounts:goodbye")
        check_deferred_constraints()
        assert membership(patient, primary).is_active is False
        assert membership(patient, secondary).role == "primary"

    def test_after_deleting_the_patient_the_account_can_go_and_the_patient_waits_for_the_purge(
        self, client: Client, patient: Patient, primary: User
    ) -> None:
        with acting_as(primary.pk):
            patients.patient_soft_delete(patient=as_member(primary, patient), actor=primary)
        client.force_login(primary)
        page = client.get(URL)
        assert [p.name for p in page.context["blockers"].deleted_sole_primary] == ["Rosa Primary"]
        assert "Nobody else can restore these patients" in page.content.decode()

        response = client.post(URL, CONFIRM)

        assert response["Location"] == reverse("accounts:goodbye")
        check_deferred_constraints()
        # The team keeps its (scrubbed) primary until the purge removes the patient.
        assert membership(patient, primary).is_active
        with system_context("test"):
            entry = AccessLog.objects.get(action="account_deleted")
        assert entry.detail["deleted_patients_kept"] == [str(patient.pk)]


class TestTheUsersRow:
    def test_it_holds_no_personal_data_in_any_column(
        self, client: Client, patient: Patient, secondary: User
    ) -> None:
        services.avatar_set(user=secondary, upload=io.BytesIO(png_bytes((300, 300))))
        with connection.cursor() as cursor:
            cursor.execute("SELECT created_at FROM users WHERE id = %s", [secondary.pk])
            (created_at,) = cursor.fetchone()

        delete_account(client, secondary)

        with connection.cursor() as cursor:
            cursor.execute("SELECT * FROM users WHERE id = %s", [secondary.pk])
            row = dict(zip([c.name for c in cursor.description], cursor.fetchone(), strict=True))
            cursor.execute("SELECT * FROM profiles WHERE id = %s", [secondary.pk])
            profile = dict(
                zip([c.name for c in cursor.description], cursor.fetchone(), strict=True)
            )
        # Every column, so a new one has to be thought about here.
        assert set(row) == {
            "id",
            "email",
            "name",
            "avatar_url",
            "role",
            "created_at",
            "updated_at",
            "password",
            "last_login",
            "is_superuser",
            "is_active",
        }
        assert row["id"] == secondary.pk
        assert row["email"] == f"deleted-{secondary.pk}@deleted.invalid"
        assert row["name"] == "Former caregiver"
        assert row["avatar_url"] is None
        assert row["role"] == "caregiver"
        assert row["created_at"] == created_at  # when the row was made: kept for the records
        assert row["updated_at"] >= created_at
        assert row["password"].startswith("!")  # unusable: no password matches it
        assert row["last_login"] is None
        assert row["is_superuser"] is False
        assert row["is_active"] is False
        assert (profile["email"], profile["name"], profile["avatar_url"]) == (
            row["email"],
            row["name"],
            None,
        )
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM users WHERE email ILIKE %s OR name ILIKE %s",
                ["%bob%", "%bob%"],
            )
            assert cursor.fetchone() == (0,)

    def test_a_staff_member_loses_every_power(self, client: Client, staff: User) -> None:
        from django.contrib.auth.models import Permission

        staff.user_permissions.add(Permission.objects.first())

        delete_account(client, staff)

        staff.refresh_from_db()
        assert (staff.is_superuser, staff.role, staff.is_staff) == (False, "caregiver", False)
        assert not staff.user_permissions.exists()

    def test_they_can_no_longer_sign_in_and_their_session_is_over(
        self, client: Client, patient: Patient, secondary: User
    ) -> None:
        response = delete_account(client, secondary)

        assert response["Location"] == reverse("accounts:goodbye")
        assert client.get(reverse("accounts:settings"))["Location"].startswith(
            reverse("accounts:login")
        )
        request = RequestFactory().post(reverse("accounts:login"))
        request.user = AnonymousUser()
        for email in ("bob@example.com", f"deleted-{secondary.pk}@deleted.invalid"):
            assert authenticate(request, username=email, password=PASSWORD) is None
        login = client.post(
            reverse("accounts:login"), {"username": "bob@example.com", "password": PASSWORD}
        )
        assert login.status_code == 200  # the form again, with its error
        assert "_auth_user_id" not in client.session

    def test_a_second_submit_does_no_harm(
        self, client: Client, patient: Patient, secondary: User
    ) -> None:
        first = delete_account(client, secondary)
        second = client.post(URL, CONFIRM)

        assert first["Location"] == reverse("accounts:goodbye")
        assert second["Location"].startswith(reverse("accounts:login"))  # signed out by then
        with acting_as(secondary.pk):
            assert leaving.account_delete(user=secondary) is False  # a racing request
        with system_context("test"):
            assert AccessLog.objects.filter(action="account_deleted").count() == 1
        secondary.refresh_from_db()
        assert secondary.name == "Former caregiver"

    def test_the_deletion_is_in_the_access_log(
        self, client: Client, patient: Patient, secondary: User
    ) -> None:
        delete_account(client, secondary)
        with system_context("test"):
            entry = AccessLog.objects.get(action="account_deleted")
        assert entry.actor_id == secondary.pk
        assert (entry.object_type, entry.object_id) == ("account", str(secondary.pk))
        assert entry.detail["teams_left"] == 1
        assert "bob" not in str(entry.detail).lower()


class TestTheFamilysRecords:
    def test_they_stay_attributed_to_the_same_id_with_their_history(
        self, client: Client, patient: Patient, primary: User, secondary: User
    ) -> None:
        reading = add_reading(secondary, patient, "heart_rate", Decimal(70), notes="by Bob")
        entry = write_journal(secondary, patient, mood=2, notes="Bob's day")
        appointment = add_appointment(secondary, patient, "Physio", escort=secondary)
        document = add_file(secondary, patient, "referral.png")
        with acting_as(secondary.pk):
            dose = Dose.objects.filter(patient=patient, status="pending").first()
            Dose.objects.filter(pk=dose.pk).update(
                status="taken", taken_at=dose.scheduled_for, recorded_by=secondary
            )
        history = history_counts(patient)

        delete_account(client, secondary)
        check_deferred_constraints()

        with acting_as(primary.pk):
            assert Measurement.objects.get(pk=reading.pk).recorded_by_id == secondary.pk
            assert DailyLog.objects.get(pk=entry.pk).created_by_id == secondary.pk
            assert DailyLog.objects.get(pk=entry.pk).notes == "Bob's day"
            found = Appointment.objects.get(pk=appointment.pk)
            assert (found.created_by_id, found.escort_id) == (secondary.pk, secondary.pk)
            assert File.objects.get(pk=document.pk).uploaded_by_id == secondary.pk
            assert Dose.objects.get(pk=dose.pk).recorded_by_id == secondary.pk
            assert Dose.objects.get(pk=dose.pk).recorded_by.name == "Former caregiver"
        after = history_counts(patient)
        # Nothing of the family's history went; leaving the team added its own event.
        assert all(after[table] >= count for table, count in history.items()), after
        assert after["caregivers_patientcaregiverevent"] == (
            history["caregivers_patientcaregiverevent"] + 1
        )
        client.force_login(primary)
        team = client.get(reverse("caregivers:team", args=[patient.pk]))
        assert [m.caregiver.name for m in team.context["members"]] == [
            "Alice Primary",
            "Vera Viewer",
        ]

    def test_invitations_they_sent_stop_and_others_are_left_alone(
        self, client: Client, patient: Patient, primary: User, secondary: User
    ) -> None:
        hand_over(patient, primary, secondary)
        with acting_as(secondary.pk):
            caregivers.invitation_create(
                patient=as_member(secondary, patient, Area.CAREGIVERS),
                actor=secondary,
                email="olga@example.com",
                role="viewer",
            )

        delete_account(client, primary)

        with system_context("test"):
            statuses = dict(CaregiverInvitation.objects.values_list("email", "status"))
        assert statuses == {"nina@example.com": "revoked", "olga@example.com": "pending"}


def history_counts(patient: Patient) -> dict[str, int]:
    tables = [
        "doses_doseevent",
        "measurements_measurementevent",
        "journal_dailylogevent",
        "appointments_appointmentevent",
        "files_fileevent",
        "patients_patientevent",
        "caregivers_patientcaregiverevent",
    ]
    counts = {}
    with system_context("test"), connection.cursor() as cursor:
        for table in tables:
            column = "pgh_obj_id" if table == "patients_patientevent" else "patient_id"
            cursor.execute(f"SELECT count(*) FROM {table} WHERE {column} = %s", [patient.pk])
            counts[table] = cursor.fetchone()[0]
    return counts


class TestWhatGoes:
    def test_settings_tokens_notifications_devices_and_the_picture_go(
        self,
        client: Client,
        patient: Patient,
        primary: User,
        secondary: User,
        django_capture_on_commit_callbacks: Any,
    ) -> None:
        from axes.models import AccessAttempt
        from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
        from django_otp.plugins.otp_totp.models import TOTPDevice

        hand_over(patient, primary, secondary)
        services.avatar_set(user=primary, upload=io.BytesIO(png_bytes((300, 300))))
        picture = services.avatar_path(primary)
        with system_context("test"):
            TOTPDevice.objects.create(user=primary, name="Authenticator", confirmed=True)
            backup = StaticDevice.objects.create(user=primary, name="Backup codes")
            StaticToken.objects.create(device=backup, token="k3y8x2m9q4")
            AccessAttempt.objects.create(
                username="Alice@Example.com",
                ip_address="203.0.113.9",
                user_agent="phone",
                http_accept="*/*",
                path_info="/accounts/login/",
                get_data="",
                post_data="",
                failures_since_start=2,
            )
            AccessAttempt.objects.create(
                username="nina@example.com",
                ip_address="203.0.113.10",
                user_agent="phone",
                http_accept="*/*",
                path_info="/accounts/login/",
                get_data="",
                post_data="",
                failures_since_start=1,
            )
        access_log_record(
            request=None, action="login_failed", detail={"email": "Alice@Example.com"}
        )
        access_log_record(
            request=None, action="login_failed", detail={"email": "nina@example.com"}
        )
        assert default_storage.exists(picture)
        with acting_as(primary.pk):
            owned = {
                "tokens": ApiToken.objects.filter(user=primary).count(),
                "notifications": Notification.objects.filter(user=primary).count(),
                "preferences": NotificationPreferences.objects.filter(user=primary).count(),
                "sync logs": SyncLog.objects.filter(user=primary).count(),
                "drafts": FormDraft.objects.filter(user=primary).count(),
            }
        assert all(owned.values()), owned  # the fixture gave Alice one of each at least

        with django_capture_on_commit_callbacks(execute=True):
            response = delete_account(client, primary)

        assert response["Location"] == reverse("accounts:goodbye")
        assert not default_storage.exists(picture)
        with system_context("test"):
            assert not ApiToken.objects.filter(user=primary).exists()
            assert not UserSettings.objects.filter(user=primary).exists()
            assert not Notification.objects.filter(user=primary).exists()
            assert not NotificationPreferences.objects.filter(user=primary).exists()
            assert not SyncLog.objects.filter(user=primary).exists()
            assert not FormDraft.objects.filter(user=primary).exists()
            assert not TOTPDevice.objects.filter(user=primary).exists()
            assert not StaticDevice.objects.filter(user=primary).exists()
            assert not StaticToken.objects.filter(token="k3y8x2m9q4").exists()
            for event in ("NotificationEvent", "NotificationPreferencesEvent"):
                model = apps.get_model("notifications", event)
                assert not model.objects.filter(user_id=primary.pk).exists(), event
            # Other people's rows are untouched.
            assert Notification.objects.filter(user=secondary).exists()
            assert list(AccessAttempt.objects.values_list("username", flat=True)) == [
                "nina@example.com"
            ]
            typed = sorted(
                entry.detail["email"] for entry in AccessLog.objects.filter(action="login_failed")
            )
        assert typed == [f"deleted-{primary.pk}@deleted.invalid", "nina@example.com"]


def test_every_table_that_points_at_users_is_accounted_for() -> None:
    """A new table with a column pointing at ``users`` has to decide what deleting
    an account does with it: add it to accounts/leaving.py (if it is the person's
    own) or to the family's records kept, and to docs/security.md."""
    user = apps.get_model("accounts", "User")
    found = {
        f"{model._meta.db_table}.{field.column}"
        for model in apps.get_models(include_auto_created=True)
        if model._meta.managed
        and not model._meta.proxy
        and not model._meta.db_table.endswith("event")
        for field in model._meta.concrete_fields
        if field.is_relation and field.related_model is user
    }
    deleted = {
        "user_settings.user_id",
        "api_tokens.user_id",
        "form_drafts.user_id",
        "notifications.user_id",
        "notification_preferences.user_id",
        "sync_logs.user_id",
        "otp_totp_totpdevice.user_id",
        "otp_static_staticdevice.user_id",
        "users_groups.user_id",
        "users_user_permissions.user_id",
    }
    left = {"patient_caregivers.caregiver_id"}  # deactivated, through the team's service
    kept = {  # the families' records and the audit trail: the id stays, the name goes
        "patients.created_by",
        "caregiver_invitations.invited_by_id",
        "caregiver_invitations.accepted_by_id",
        "medications.created_by_id",
        "doses.recorded_by_id",
        "measurements.recorded_by_id",
        "measurement_thresholds.updated_by_id",
        "daily_logs.created_by_id",
        "appointments.escort_id",
        "appointments.created_by_id",
        "files.uploaded_by",
        "file_shares.shared_with",
        "file_shares.shared_by",
        "export_jobs.requested_by_id",
        "access_log.actor_id",
        "break_glass_grants.staff_id",
        "break_glass_grants.ended_by_id",
        "django_admin_log.user_id",
    }
    assert found == deleted | left | kept


def run_at_once(*jobs: Any) -> list[str]:
    """Run each job in its own thread and connection, started together."""
    barrier = threading.Barrier(len(jobs))
    outcomes: list[str] = []

    def run(job: Any) -> None:
        try:
            barrier.wait(timeout=10)
            outcomes.append(job())
        except Exception as error:
            outcomes.append(type(error).__name__)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=[job]) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return sorted(outcomes)


def deleting(user: User) -> Any:
    def job() -> str:
        with acting_as(user.pk):
            return "deleted" if leaving.account_delete(user=user) else "already deleted"

    return job


@pytest.mark.db_behaviour
@pytest.mark.django_db(transaction=True)
class TestAtTheSameTime:
    def test_a_double_click_deletes_once_and_commits(self) -> None:
        ana = make_user(f"ana-{uuid.uuid4().hex[:6]}@example.com", "Ana")
        ben = make_user(f"ben-{uuid.uuid4().hex[:6]}@example.com", "Ben")
        patient = make_patient(ana, "Concurrent Patient")
        add_member(patient, ben, "secondary")

        assert run_at_once(deleting(ben), deleting(ben)) == ["already deleted", "deleted"]

        ben.refresh_from_db()
        assert (ben.name, ben.is_active) == ("Former caregiver", False)
        assert membership(patient, ben).is_active is False
        with system_context("test"):
            assert AccessLog.objects.filter(actor=ben, action="account_deleted").count() == 1

    def test_of_two_primaries_leaving_at_once_one_must_stay(self) -> None:
        ana = make_user(f"ana-{uuid.uuid4().hex[:6]}@example.com", "Ana")
        ben = make_user(f"ben-{uuid.uuid4().hex[:6]}@example.com", "Ben")
        patient = make_patient(ana, "Concurrent Patient")
        add_member(patient, ben, "primary")

        assert run_at_once(deleting(ana), deleting(ben)) == ["SolePrimary", "deleted"]

        with system_context("test"):
            primaries = PatientCaregiver.objects.filter(
                patient=patient, role="primary", is_active=True
            ).select_related("caregiver")
            [primary] = primaries
        assert primary.caregiver.is_active
