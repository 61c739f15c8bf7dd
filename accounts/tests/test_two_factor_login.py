"""Logging in with two-step sign-in on: the password, then a code."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth import SESSION_KEY
from django.contrib.auth.signals import user_logged_in
from django.urls import reverse
from django_otp import DEVICE_ID_SESSION_KEY

from accounts import two_factor
from accounts.models import User
from audit.models import AccessLog
from conftest import PASSWORD, Client, totp_code, two_factor_on
from medtrack.rls import system_context

pytestmark = pytest.mark.django_db

LOGIN = reverse("accounts:login")
CODE = reverse("accounts:two_factor_verify")
HOME = reverse("dashboard:home")
NOON = dt.datetime(2026, 5, 4, 12, 0, 5, tzinfo=dt.UTC)


def password_step(client: Client, next_url: str = "") -> object:
    data = {"username": "alice@example.com", "password": PASSWORD}
    if next_url:
        data["next"] = next_url
    return client.post(f"{LOGIN}?next={next_url}" if next_url else LOGIN, data)


def logins() -> list[AccessLog]:
    with system_context("test"):
        return list(AccessLog.objects.filter(action__in=["login", "login_failed"]))


def test_the_password_alone_opens_only_the_code_step(client: Client, primary: User) -> None:
    two_factor_on(primary)
    signalled: list[User] = []

    def note(sender, user, **kwargs) -> None:
        signalled.append(user)

    user_logged_in.connect(note)
    try:
        response = password_step(client)
    finally:
        user_logged_in.disconnect(note)

    assert response.status_code == 302
    assert response["Location"] == CODE
    assert signalled == []  # no user_logged_in, so no "login" in the access log
    assert logins() == []
    assert SESSION_KEY not in client.session
    assert client.session[two_factor.PENDING_SESSION_KEY]["user_id"] == str(primary.pk)
    assert client.get(HOME).status_code == 302  # not signed in

    page = client.get(CODE)
    assert page.status_code == 200
    html = page.content.decode()
    assert 'autocomplete="one-time-code"' in html
    assert 'inputmode="numeric"' in html
    assert "Lost your phone? Use a backup code" in html


def test_a_code_from_the_app_logs_in_and_returns_to_next(
    client: Client, primary: User, time_machine
) -> None:
    time_machine.move_to(NOON, tick=False)
    device = two_factor_on(primary)
    settings_url = reverse("accounts:settings")
    password_step(client, next_url=settings_url)

    response = client.post(CODE, {"code": totp_code(device)[:3] + " " + totp_code(device)[3:]})

    assert response.status_code == 302
    assert response["Location"] == settings_url
    assert client.session[SESSION_KEY] == str(primary.pk)
    assert client.session[DEVICE_ID_SESSION_KEY] == device.persistent_id
    assert two_factor.PENDING_SESSION_KEY not in client.session
    assert [entry.action for entry in logins()] == ["login"]
    assert client.get(HOME).status_code == 200


def test_a_next_to_another_site_is_ignored(client: Client, primary: User) -> None:
    device = two_factor_on(primary)
    password_step(client, next_url="https://evil.example/steal")

    response = client.post(CODE, {"code": totp_code(device)})

    assert response["Location"] == HOME


def test_a_backup_code_logs_in_once(client: Client, primary: User) -> None:
    two_factor_on(primary)
    code = two_factor.backup_codes_replace(user=primary, request=None)[0]
    password_step(client)

    page = client.get(CODE, {"with": "backup"})
    assert 'inputmode="text"' in page.content.decode()
    response = client.post(f"{CODE}?with=backup", {"code": code.upper()}, follow=True)

    assert response.redirect_chain[0] == (HOME, 302)
    assert "You used a backup code; 9 left." in response.content.decode()

    client.post(reverse("accounts:logout"))
    password_step(client)
    again = client.post(f"{CODE}?with=backup", {"code": code})
    assert again.status_code == 200
    assert "did not work, or it was used already" in again.content.decode()
    assert SESSION_KEY not in client.session


def test_a_wrong_code_says_so_keeps_the_step_and_is_logged(client: Client, primary: User) -> None:
    device = two_factor_on(primary)
    password_step(client)

    response = client.post(CODE, {"code": "000000" if totp_code(device) != "000000" else "111111"})

    assert response.status_code == 200
    html = response.content.decode()
    assert "That code did not work" in html
    assert 'aria-invalid="true"' in html
    assert client.session[two_factor.PENDING_SESSION_KEY]["user_id"] == str(primary.pk)
    (failed,) = logins()
    assert failed.action == "login_failed"
    assert failed.actor == primary
    assert failed.detail == {
        "email": "alice@example.com",
        "step": "two_factor",
        "method": "app",
        "throttled": False,
    }
    # The pending login survives: the right code still works.
    device.refresh_from_db()
    device.throttling_failure_timestamp = None
    device.save()
    assert client.post(CODE, {"code": totp_code(device)})["Location"] == HOME


def test_something_that_is_not_a_code_is_not_counted(client: Client, primary: User) -> None:
    two_factor_on(primary)
    password_step(client)

    response = client.post(CODE, {"code": "12ab"})

    assert "Enter the 6 digits your app shows now, or a backup code." in response.content.decode()
    assert logins() == []


def test_wrong_codes_are_throttled_and_say_how_long_to_wait(
    client: Client, primary: User, time_machine
) -> None:
    time_machine.move_to(NOON, tick=False)
    device = two_factor_on(primary)
    password_step(client)
    for second in (0, 2, 5):  # each after the previous wait (1 s, then 2 s)
        time_machine.move_to(NOON + dt.timedelta(seconds=second), tick=False)
        assert "That code did not work" in client.post(CODE, {"code": "999999"}).content.decode()

    held = client.post(CODE, {"code": totp_code(device)})

    assert "please wait 4 seconds" in held.content.decode()
    assert SESSION_KEY not in client.session
    assert [entry.detail["throttled"] for entry in logins()].count(True) == 1
    time_machine.move_to(NOON + dt.timedelta(seconds=10), tick=False)
    assert client.post(CODE, {"code": totp_code(device)})["Location"] == HOME


def test_the_code_step_lasts_ten_minutes(client: Client, primary: User, time_machine) -> None:
    time_machine.move_to(NOON, tick=False)
    device = two_factor_on(primary)
    password_step(client)
    time_machine.move_to(NOON + dt.timedelta(minutes=11), tick=False)

    response = client.post(CODE, {"code": totp_code(device)}, follow=True)

    assert response.redirect_chain[-1][0] == LOGIN
    assert "please log in again" in response.content.decode()
    assert SESSION_KEY not in client.session


def test_a_password_changed_meanwhile_ends_the_code_step(client: Client, primary: User) -> None:
    device = two_factor_on(primary)
    password_step(client)
    primary.set_password("another-long-password")
    primary.save()

    response = client.post(CODE, {"code": totp_code(device)})

    assert response["Location"] == LOGIN
    assert SESSION_KEY not in client.session


def test_the_code_step_without_a_password_goes_to_log_in(client: Client) -> None:
    assert client.get(CODE)["Location"] == LOGIN


def test_people_without_two_step_sign_in_need_only_their_password(
    client: Client, primary: User
) -> None:
    two_factor.enrolment_device(user=primary)  # started, never confirmed

    response = password_step(client)

    assert response["Location"] == HOME
    assert client.session[SESSION_KEY] == str(primary.pk)


def test_a_signed_in_session_that_has_not_proved_a_code_can_prove_one(
    client: Client, primary: User
) -> None:
    device = two_factor_on(primary)
    client.force_login(primary, verified=False)

    page = client.get(CODE, {"next": "/admin/"})
    assert "Log in as someone else" not in page.content.decode()
    key = client.session.session_key
    response = client.post(f"{CODE}?next=/admin/", {"code": totp_code(device), "next": "/admin/"})

    assert response["Location"] == "/admin/"
    assert client.session[DEVICE_ID_SESSION_KEY] == device.persistent_id
    assert client.session.session_key != key  # new rights, new session key
    assert client.get(CODE)["Location"] == HOME  # nothing left to prove
