"""The Team page: members and invitations, roles and permissions, removing and leaving."""

from __future__ import annotations

import threading
import uuid

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, connections
from django.test import Client
from django.urls import reverse

from accounts.models import User
from caregivers import services
from caregivers.models import PatientCaregiver
from conftest import add_member, as_member, make_user
from medtrack.rls import acting_as, system_context
from patients.access import Area, Level, get_patient_for_user
from patients.models import Patient

pytestmark = pytest.mark.django_db


def member(patient: Patient, user: User) -> PatientCaregiver:
    with system_context("test"):
        return PatientCaregiver.objects.get(patient=patient, caregiver=user)


def team_url(patient: Patient) -> str:
    return reverse("caregivers:team", args=[patient.pk])


class TestTeamPage:
    def test_members_and_pending_invitations_are_listed_for_everyone_on_the_team(
        self, client: Client, patient: Patient, primary: User, viewer: User
    ) -> None:
        for user, manager in ((primary, True), (viewer, False)):
            client.force_login(user)
            response = client.get(team_url(patient))
            content = response.content.decode()
            assert [m.caregiver.name for m in response.context["members"]] == [
                "Alice Primary",
                "Bob Secondary",
                "Vera Viewer",
            ]
            assert "nina@example.com" in content
            assert response.context["is_manager"] is manager
            assert ("Send invitation" in content) is manager

    @pytest.mark.parametrize("size", [1, 50])
    def test_it_runs_a_fixed_number_of_queries(
        self, client: Client, patient: Patient, primary: User, size: int, django_assert_num_queries
    ) -> None:
        for number in range(size):
            add_member(patient, make_user(f"m{number}@example.com", f"Member {number}"), "viewer")
        client.force_login(primary)
        # session, user, unread badge, savepoint, app.user_id, patient, access log, members, invitations,
        # app.user_id, release
        with django_assert_num_queries(11):
            response = client.get(team_url(patient))
        assert len(response.context["members"]) == size + 3


class TestRolesAndPermissions:
    def test_a_primary_changes_a_role_and_narrows_an_area(
        self, client: Client, patient: Patient, primary: User, secondary: User
    ) -> None:
        client.force_login(primary)
        url = reverse("caregivers:member", args=[patient.pk, member(patient, secondary).pk])
        response = client.post(url, {"role": "viewer", "perm_files": "none", "perm_logs": "read"})
        assert response["Location"] == team_url(patient)
        assert (member(patient, secondary).role, member(patient, secondary).permissions) == (
            "viewer",
            {"files": "none", "logs": "read"},
        )

    def test_narrowing_takes_effect_in_the_app_and_the_database(
        self, client: Client, patient: Patient, primary: User, secondary: User
    ) -> None:
        client.force_login(primary)
        url = reverse("caregivers:member", args=[patient.pk, member(patient, secondary).pk])
        client.post(url, {"role": "secondary", "perm_files": "none", "perm_caregivers": "none"})

        client.force_login(secondary)
        assert client.get(team_url(patient)).status_code == 403
        with acting_as(secondary.pk):
            with pytest.raises(PermissionDenied):  # files: 403 (the patient is still theirs)
                get_patient_for_user(secondary, patient.pk, Area.FILES)
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT caregiver_id FROM patient_caregivers WHERE patient_id = %s",
                    [patient.pk],
                )
                assert [row[0] for row in cursor.fetchall()] == [
                    secondary.pk
                ]  # only their own row
                cursor.execute("SELECT count(*) FROM caregiver_invitations")
                assert cursor.fetchone()[0] == 0
            # The rest of their care work is untouched.
            assert get_patient_for_user(secondary, patient.pk, Area.MEDICATIONS, Level.WRITE)

    def test_permissions_never_widen_a_role(
        self, patient: Patient, primary: User, viewer: User
    ) -> None:
        with acting_as(primary.pk):
            services.member_update(
                patient=as_member(primary, patient, Area.CAREGIVERS),
                actor=primary,
                member=member(patient, viewer),
                role="viewer",
                permissions={"medications": "write", "files": "everything", "patient": "none"},
            )
        assert member(patient, viewer).permissions == {}

    def test_the_last_primary_cannot_be_demoted_remove_themselves_or_leave(
        self, client: Client, patient: Patient, primary: User
    ) -> None:
        client.force_login(primary)
        own = member(patient, primary)
        with acting_as(primary.pk), pytest.raises(ValidationError, match="at least one primary"):
            services.member_update(
                patient=as_member(primary, patient, Area.CAREGIVERS),
                actor=primary,
                member=own,
                role="secondary",
                permissions={},
            )
        response = client.post(reverse("caregivers:leave", args=[patient.pk]), follow=True)
        assert "needs at least one primary caregiver" in response.content.decode()
        assert member(patient, primary).is_active

    def test_a_primary_removes_a_member_who_then_sees_nothing(
        self, client: Client, patient: Patient, primary: User, viewer: User
    ) -> None:
        client.force_login(primary)
        client.post(
            reverse("caregivers:member_remove", args=[patient.pk, member(patient, viewer).pk])
        )
        assert member(patient, viewer).is_active is False
        client.force_login(viewer)
        assert client.get(reverse("patients:detail", args=[patient.pk])).status_code == 404

    def test_anyone_may_leave_even_a_viewer(
        self, client: Client, patient: Patient, viewer: User
    ) -> None:
        client.force_login(viewer)
        assert client.get(reverse("caregivers:leave", args=[patient.pk])).status_code == 200
        response = client.post(reverse("caregivers:leave", args=[patient.pk]))
        assert response["Location"] == reverse("patients:list")
        assert member(patient, viewer).is_active is False


@pytest.mark.db_behaviour
@pytest.mark.django_db(transaction=True)
def test_two_primaries_demoting_each_other_at_once_leave_one_primary() -> None:
    ana = make_user(f"ana-{uuid.uuid4().hex[:6]}@example.com", "Ana")
    ben = make_user(f"ben-{uuid.uuid4().hex[:6]}@example.com", "Ben")
    from conftest import make_patient

    patient = make_patient(ana, "Concurrent Patient")
    add_member(patient, ben, "primary")
    barrier = threading.Barrier(2)
    outcomes: dict[str, str] = {}

    def demote(actor: User, other: User) -> None:
        try:
            with acting_as(actor.pk):
                loaded = get_patient_for_user(actor, patient.pk, Area.CAREGIVERS, Level.MANAGE)
                target = PatientCaregiver.objects.get(patient=patient, caregiver=other)
                barrier.wait(timeout=10)
                services.member_update(
                    patient=loaded, actor=actor, member=target, role="secondary", permissions={}
                )
            outcomes[actor.name] = "demoted"
        except Exception as error:
            outcomes[actor.name] = type(error).__name__
        finally:
            connections.close_all()

    threads = [threading.Thread(target=demote, args=pair) for pair in ((ana, ben), (ben, ana))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(outcomes.values()) == ["PermissionDenied", "demoted"], outcomes
    with system_context("test"):
        primaries = PatientCaregiver.objects.filter(
            patient=patient, role="primary", is_active=True
        )
        assert primaries.count() == 1
