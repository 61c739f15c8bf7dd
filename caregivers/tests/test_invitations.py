"""The invitation flow, end to end through the pages and the e-mailed link."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from caregivers.models import CaregiverInvitation, PatientCaregiver
from conftest import PASSWORD, make_user
from medtrack.rls import acting_as, system_context
from notifications.models import Notification
from patients.models import Patient

pytestmark = pytest.mark.django_db


@pytest.fixture
def invite(client: Client, patient: Patient, primary: User, django_capture_on_commit_callbacks):
    """Invite as the primary through the Team page; return the e-mailed link's path."""

    def invite(email: str = "dan@example.com", role: str = "secondary", **perms: str) -> str:
        client.force_login(primary)
        data = {
            "email": email,
            "role": role,
            **{f"perm_{area}": value for area, value in perms.items()},
        }
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(reverse("caregivers:invite", args=[patient.pk]), data)
        assert response.status_code == 302, response.content.decode()[:3000]
        client.logout()
        message = mail.outbox[-1]
        assert message.to == [email]
        return re.search(r"https?://[^/\s]+(/invitations/\S+/)", message.body).group(1)

    return invite


def membership(patient: Patient, user: User) -> PatientCaregiver | None:
    with system_context("test"):
        return PatientCaregiver.objects.filter(patient=patient, caregiver=user).first()


def invitation(email: str) -> CaregiverInvitation:
    with system_context("test"):
        return CaregiverInvitation.objects.get(email=email)


def test_the_email_says_who_invites_whom_for_whom_with_text_and_html(invite) -> None:
    invite()
    message = mail.outbox[-1]
    assert message.subject == "Alice Primary invited you to help care for Rosa"
    assert "Rosa Primary" not in message.body  # only the first name leaves MedTrack
    assert "as: Caregiver" in message.body
    assert message.alternatives[0][1] == "text/html"


def test_a_new_person_signs_up_from_the_link_and_joins(
    client: Client, invite, patient: Patient
) -> None:
    link = invite()

    landing = client.get(link).content.decode()
    assert "Alice Primary invited you to help care for Rosa Primary" in landing
    signup_url = (
        re.search(r'href="(/accounts/signup/\?[^"]+)"', landing).group(1).replace("&amp;", "&")
    )
    form = client.get(signup_url).context["form"]
    assert form.initial["email"] == "dan@example.com"
    response = client.post(
        signup_url,
        {
            "name": "Dan",
            "email": "dan@example.com",
            "password1": PASSWORD,
            "password2": PASSWORD,
            "timezone": "UTC",
        },
    )
    assert response["Location"] == link

    response = client.post(reverse("caregivers:invitation_accept", args=[link.split("/")[2]]))

    assert response["Location"] == reverse("patients:detail", args=[patient.pk])
    dan = User.objects.get(email="dan@example.com")
    assert membership(patient, dan).role == "secondary"
    assert invitation("dan@example.com").status == "accepted"
    assert client.get(response["Location"]).status_code == 200


def test_accepting_keeps_the_narrowed_permissions(
    client: Client, invite, patient: Patient
) -> None:
    link = invite(role="viewer", files="none", caregivers="none")
    dan = make_user("dan@example.com", "Dan")
    client.force_login(dan)
    client.post(link + "accept/")
    assert membership(patient, dan).permissions == {"files": "none", "caregivers": "none"}


def test_a_link_works_once(client: Client, invite, patient: Patient) -> None:
    link = invite()
    dan = make_user("dan@example.com", "Dan")
    client.force_login(dan)
    client.post(link + "accept/")
    client.post(link + "accept/")

    with system_context("test"):
        assert PatientCaregiver.objects.filter(patient=patient, caregiver=dan).count() == 1
    assert "already accepted" in client.get(link).content.decode()


def test_declining_leaves_the_team_unchanged(client: Client, invite, patient: Patient) -> None:
    link = invite()
    dan = make_user("dan@example.com", "Dan")
    client.force_login(dan)

    response = client.post(link + "decline/")

    assert response["Location"] == reverse("dashboard:home")
    assert membership(patient, dan) is None
    assert invitation("dan@example.com").status == "declined"


def test_an_expired_link_says_so_and_cannot_be_accepted(
    client: Client, invite, patient: Patient
) -> None:
    link = invite()
    dan = make_user("dan@example.com", "Dan")
    with time_machine.travel(timezone.now() + dt.timedelta(days=8), tick=False):
        client.force_login(dan)
        assert "has expired" in client.get(link).content.decode()
        assert client.post(link + "accept/")["Location"] == link
        call_command("expire_invitations", verbosity=0)
    assert membership(patient, dan) is None
    assert invitation("dan@example.com").status == "expired"


def test_a_revoked_link_says_so(client: Client, invite, patient: Patient, primary: User) -> None:
    link = invite()
    client.force_login(primary)
    client.post(
        reverse(
            "caregivers:invitation_revoke", args=[patient.pk, invitation("dan@example.com").pk]
        )
    )
    dan = make_user("dan@example.com", "Dan")
    client.force_login(dan)
    assert "withdrawn" in client.get(link).content.decode()
    client.post(link + "accept/")
    assert membership(patient, dan) is None


def test_re_sending_makes_the_old_link_stop_working(
    client: Client, invite, patient: Patient, primary: User, django_capture_on_commit_callbacks
) -> None:
    old = invite()
    client.force_login(primary)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse(
                "caregivers:invitation_resend", args=[patient.pk, invitation("dan@example.com").pk]
            )
        )
    new = re.search(r"(/invitations/\S+/)", mail.outbox[-1].body).group(1)

    assert new != old
    assert client.get(old).status_code == 404
    assert client.get(new).status_code == 200


def test_the_wrong_account_is_told_and_offered_to_switch(
    client: Client, invite, patient: Patient, stranger: User
) -> None:
    link = invite()
    client.force_login(stranger)

    page = client.get(link).content.decode()
    client.post(link + "accept/")

    assert "sent to dan@example.com, but you are logged in as charlie@example.com" in page
    assert "Log out and continue as dan@example.com" in page
    assert membership(patient, stranger) is None


def test_someone_already_on_the_team_is_not_invited_twice(
    client: Client, patient: Patient, primary: User, secondary: User
) -> None:
    client.force_login(primary)
    response = client.post(
        reverse("caregivers:invite", args=[patient.pk]),
        {"email": "BOB@example.com", "role": "viewer"},
    )
    assert "already on the care team" in response.content.decode()
    response = client.post(
        reverse("caregivers:invite", args=[patient.pk]),
        {"email": "nina@example.com", "role": "viewer"},
    )
    assert "already been invited" in response.content.decode()


def test_someone_who_left_can_be_invited_back(
    client: Client, invite, patient: Patient, secondary: User
) -> None:
    client.force_login(secondary)
    client.post(reverse("caregivers:leave", args=[patient.pk]))
    link = invite(email="bob@example.com", role="viewer")
    client.force_login(secondary)
    client.post(link + "accept/")
    member = membership(patient, secondary)
    assert (member.is_active, member.role) == (True, "viewer")


def test_only_a_primary_may_invite(client: Client, patient: Patient, secondary: User) -> None:
    client.force_login(secondary)
    response = client.post(
        reverse("caregivers:invite", args=[patient.pk]),
        {"email": "x@example.com", "role": "viewer"},
    )
    assert response.status_code == 403


def test_a_made_up_link_gets_a_helpful_404(client: Client) -> None:
    response = client.get(reverse("caregivers:invitation", args=["not-a-real-token"]))
    assert response.status_code == 404
    assert "Ask the person who invited you" in response.content.decode()


def test_an_invitation_to_a_deleted_patient_cannot_be_accepted(
    client: Client, invite, patient: Patient, primary: User
) -> None:
    link = invite()
    client.force_login(primary)
    client.post(reverse("patients:delete", args=[patient.pk]))
    dan = make_user("dan@example.com", "Dan")
    client.force_login(dan)
    client.post(link + "accept/")
    assert membership(patient, dan) is None


def in_app(user: User, type: str) -> list[Notification]:
    with acting_as(user.pk):
        return list(Notification.objects.filter(type=type))


def test_someone_invited_who_has_an_account_also_hears_in_the_app(
    invite, patient: Patient
) -> None:
    dora = make_user("Dora@example.com", "Dora Later")
    invite("dora@example.com")
    (invited,) = in_app(dora, "caregiver_invited")
    assert invited.title == "Alice Primary invited you to help care for Rosa"
    assert invited.patient_id is None  # not on the team (yet): no patient link, no secret link
    assert "dora@example.com" in invited.body


def test_the_team_managers_hear_when_someone_joins(
    client: Client, invite, patient: Patient, primary: User, secondary: User
) -> None:
    link = invite(role="viewer")
    dan = make_user("dan@example.com", "Dan Newcomer")
    client.force_login(dan)
    client.post(link + "accept/")
    (joined,) = in_app(primary, "caregiver_joined")
    assert joined.title == "Dan Newcomer joined the care team of Rosa Primary"
    assert joined.body == "Their role: Viewer."
    assert joined.url == reverse("caregivers:team", args=[patient.pk])
    assert in_app(secondary, "caregiver_joined") == []  # a secondary does not manage the team
