"""Sign-in lockouts (django-axes) and rate limits on password reset, signup and invitations."""

from __future__ import annotations

import datetime as dt

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.core import mail
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from accounts.models import User
from audit.models import AccessLog
from conftest import PASSWORD
from medtrack.rls import system_context
from patients.models import Patient

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"


@pytest.fixture(autouse=True)
def _fresh_counts() -> None:
    cache.clear()


def attempt(email: str, password: str, address: str = "203.0.113.7") -> object:
    return Client(REMOTE_ADDR=address).post(LOGIN, {"username": email, "password": password})


def test_five_wrong_passwords_lock_the_account_and_say_when_to_retry(
    primary: User, time_machine
) -> None:
    time_machine.move_to(dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC), tick=False)
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert attempt(primary.email, "wrong-password").status_code == 200
    locked = attempt(primary.email, "wrong-password")
    assert locked.status_code == 429
    assert locked["Retry-After"] == "900"
    assert b"try again in 15 minutes" in locked.content
    # Even the right password is refused now, from anywhere.
    assert attempt(primary.email, PASSWORD, address="198.51.100.9").status_code == 429
    with system_context("test"):
        failures = AccessLog.objects.filter(action="login_failed")
        assert failures.count() >= settings.AXES_FAILURE_LIMIT
        assert set(failures.values_list("detail__email", flat=True)) == {primary.email}
        assert failures.filter(detail__locked_out=True).count() == 2  # locking, then refused

    time_machine.move_to(dt.datetime(2026, 3, 2, 9, 16, tzinfo=dt.UTC), tick=False)
    assert attempt(primary.email, PASSWORD).status_code == 302  # the cool-off is over


def test_one_address_trying_many_accounts_is_locked_out(primary: User, stranger: User) -> None:
    emails = [f"guess{n}@example.com" for n in range(settings.AXES_FAILURE_LIMIT)]
    for email in emails:
        attempt(email, "wrong-password", address="192.0.2.50")
    assert attempt(primary.email, PASSWORD, address="192.0.2.50").status_code == 429
    assert attempt(stranger.email, PASSWORD, address="192.0.2.51").status_code == 302


def test_a_success_before_the_limit_starts_the_count_again(primary: User) -> None:
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        attempt(primary.email, "wrong-password")
    assert attempt(primary.email, PASSWORD).status_code == 302
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        attempt(primary.email, "wrong-password")
    assert attempt(primary.email, PASSWORD).status_code == 302


def test_staff_unlock_an_account_in_the_admin(primary: User, staff_client: Client) -> None:
    for _ in range(settings.AXES_FAILURE_LIMIT):
        attempt(primary.email, "wrong-password")
    assert attempt(primary.email, PASSWORD).status_code == 429
    attempts = AccessAttempt.objects.filter(username=primary.email)
    assert attempts.exists()
    changelist = staff_client.get(reverse("admin:axes_accessattempt_changelist"))
    assert changelist.status_code == 200
    assert primary.email.encode() in changelist.content
    response = staff_client.post(
        reverse("admin:axes_accessattempt_changelist"),
        {
            "action": "delete_selected",
            "_selected_action": [str(pk) for pk in attempts.values_list("pk", flat=True)],
            "post": "yes",
        },
    )
    assert response.status_code == 302
    assert not AccessAttempt.objects.filter(username=primary.email).exists()
    assert attempt(primary.email, PASSWORD).status_code == 302


def test_password_reset_is_limited_per_e_mail_and_keeps_what_was_typed(
    primary: User,
) -> None:
    client = Client(REMOTE_ADDR="203.0.113.8")
    url = reverse("accounts:password_reset")
    for _ in range(3):
        assert client.post(url, {"email": primary.email}).status_code == 302
    refused = client.post(url, {"email": primary.email})
    assert refused.status_code == 429
    assert b"Too many attempts" in refused.content
    assert f'value="{primary.email}"'.encode() in refused.content
    assert len(mail.outbox) == 3


def test_password_reset_is_limited_per_address() -> None:
    client = Client(REMOTE_ADDR="203.0.113.9")
    url = reverse("accounts:password_reset")
    for n in range(10):
        assert client.post(url, {"email": f"someone{n}@example.com"}).status_code == 302
    assert client.post(url, {"email": "one-more@example.com"}).status_code == 429
    assert (
        Client(REMOTE_ADDR="203.0.113.10").post(url, {"email": "x@example.com"}).status_code == 302
    )


def test_signup_is_limited_per_address() -> None:
    client = Client(REMOTE_ADDR="203.0.113.11")
    url = reverse("accounts:signup")
    form = {"name": "Bot", "password1": "a-long-password-1", "password2": "a-long-password-1"}
    for n in range(10):
        client.post(url, {**form, "email": f"bot{n}@example.com", "timezone": "UTC"})
        client.logout()
    refused = client.post(url, {**form, "email": "bot-last@example.com", "timezone": "UTC"})
    assert refused.status_code == 429
    assert b"bot-last@example.com" in refused.content
    assert not User.objects.filter(email="bot-last@example.com").exists()


def test_invitations_are_limited_per_person(
    client: Client, primary: User, patient: Patient
) -> None:
    client.force_login(primary)
    url = reverse("caregivers:invite", kwargs={"patient_id": patient.pk})
    for n in range(20):
        client.post(url, {"email": f"friend{n}@example.com", "role": "viewer"})
    refused = client.post(url, {"email": "friend-last@example.com", "role": "viewer"})
    assert refused.status_code == 429
    assert b"Too many attempts" in refused.content
    assert b"friend-last@example.com" in refused.content
    assert not patient.invitations.filter(email="friend-last@example.com").exists()


def test_invitation_links_are_limited_per_address(patient: Patient) -> None:
    client = Client(REMOTE_ADDR="203.0.113.12")
    for n in range(60):
        url = reverse("caregivers:invitation", kwargs={"token": f"guess-{n}"})
        assert client.get(url).status_code == 404
    refused = client.get(reverse("caregivers:invitation", kwargs={"token": "guess-last"}))
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) > 0
    assert b"Please wait" in refused.content
