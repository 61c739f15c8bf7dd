"""Settings → Two-step sign-in: turning it on, backup codes, turning it off."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import two_factor
from accounts.models import User
from audit.models import AccessLog
from conftest import Client, totp_code, two_factor_on
from medtrack.rls import system_context

pytestmark = pytest.mark.django_db

SETTINGS = reverse("accounts:settings")
SETUP = reverse("accounts:two_factor_setup")
CODES = reverse("accounts:two_factor_backup_codes")
OFF = reverse("accounts:two_factor_disable")


@pytest.fixture
def alice(client: Client, primary: User) -> Client:
    client.force_login(primary)
    return client


def actions() -> list[str]:
    with system_context("test"):
        return sorted(
            AccessLog.objects.filter(action__startswith="two_factor")
            .union(AccessLog.objects.filter(action="backup_codes"))
            .values_list("action", flat=True)
        )


def test_settings_encourage_turning_it_on(alice: Client) -> None:
    html = alice.get(SETTINGS).content.decode()

    assert "Two-step sign-in" in html
    assert "Turn on two-step sign-in" in html
    assert "a guessed or stolen password is not enough" in html
    assert f'href="{SETUP}"' in html


def test_settings_say_it_is_on_with_the_backup_codes_left(alice: Client, primary: User) -> None:
    two_factor_on(primary)
    two_factor.backup_codes_replace(user=primary, request=None)

    html = alice.get(SETTINGS).content.decode()

    assert "On." in html
    assert "10 backup codes left" in html
    assert f'href="{OFF}"' in html
    assert f'href="{CODES}"' in html


def test_the_set_up_page_shows_the_qr_code_inline_and_the_key_as_text(
    alice: Client, primary: User
) -> None:
    response = alice.get(SETUP)

    html = response.content.decode()
    device = TOTPDevice.objects.get(user=primary)
    assert not device.confirmed
    assert '<svg viewBox="0 0 ' in html
    assert 'class="qr-code"' in html
    assert two_factor.secret_for_typing(device) in html
    assert "otpauth://totp/MedTrack%3Aalice%40example.com?secret=" in html
    assert "data:" not in html
    assert not re.search(r"<script(?![^>]*\ssrc=)", html)  # no inline script
    assert " style=" not in html
    assert 'autocomplete="one-time-code"' in html
    assert 'inputmode="numeric"' in html
    assert response["Cache-Control"].startswith("max-age=0")  # the key is not cached
    # A reload shows the same key while setting up.
    assert two_factor.secret_for_typing(device) in alice.get(SETUP).content.decode()


def test_a_code_from_the_app_turns_it_on_and_shows_the_backup_codes_once(
    alice: Client, primary: User
) -> None:
    alice.get(SETUP)
    device = TOTPDevice.objects.get(user=primary)

    response = alice.post(SETUP, {"code": totp_code(device)}, follow=True)

    assert response.redirect_chain == [(CODES, 302)]
    html = response.content.decode()
    assert "Two-step sign-in is on." in html
    shown = re.findall(r"<code>([a-z0-9]{5}-[a-z0-9]{5})</code>", html)
    assert len(shown) == 10
    assert two_factor.is_enabled(primary)
    assert alice.session[DEVICE_ID_SESSION_KEY] == device.persistent_id  # this session counts
    assert actions() == ["two_factor_on"]

    again = alice.get(CODES).content.decode()
    assert not any(code in again for code in shown)
    assert "You have 10 backup codes left." in again
    assert alice.get(SETUP)["Location"] == SETTINGS  # already on


def test_a_wrong_code_keeps_the_same_key_and_says_why(alice: Client, primary: User) -> None:
    alice.get(SETUP)
    device = TOTPDevice.objects.get(user=primary)

    response = alice.post(SETUP, {"code": "12345"})

    html = response.content.decode()
    assert response.status_code == 200
    assert "Enter the 6 digits your app shows now." in html
    assert 'value="12345"' in html
    assert two_factor.secret_for_typing(device) in html
    assert not two_factor.is_enabled(primary)


def test_a_backup_code_cannot_confirm_a_new_app(alice: Client, primary: User) -> None:
    alice.get(SETUP)
    response = alice.post(SETUP, {"code": "abcde-fghjk"})
    assert "Enter the 6 digits your app shows now." in response.content.decode()


def test_set_up_for_the_admin_continues_there(alice: Client, primary: User) -> None:
    alice.get(SETUP, {"next": "/admin/"})
    device = TOTPDevice.objects.get(user=primary)

    response = alice.post(f"{SETUP}?next=/admin/", {"code": totp_code(device), "next": "/admin/"})

    assert response["Location"] == f"{CODES}?next=%2Fadmin%2F"
    assert 'href="/admin/"' in alice.get(response["Location"]).content.decode()


def test_new_backup_codes_replace_the_old_ones(alice: Client, primary: User) -> None:
    two_factor_on(primary)
    alice.force_login(primary)  # a verified session
    old = two_factor.backup_codes_replace(user=primary, request=None)

    response = alice.post(CODES, follow=True)

    html = response.content.decode()
    new = re.findall(r"<code>([a-z0-9]{5}-[a-z0-9]{5})</code>", html)
    assert len(new) == 10
    assert not set(new) & set(old)
    assert "the old ones no longer work" in html
    assert not two_factor.verify(user=primary, code=two_factor.normalize(old[0])).ok
    assert actions() == ["backup_codes"]


def test_new_backup_codes_need_a_session_that_proved_a_code(alice: Client, primary: User) -> None:
    two_factor_on(primary)
    alice.force_login(primary, verified=False)

    response = alice.post(CODES)

    assert response["Location"].startswith(reverse("accounts:two_factor_verify"))
    assert two_factor.backup_codes_left(primary) == 0


def test_backup_codes_without_two_step_sign_in_lead_to_setting_it_up(alice: Client) -> None:
    assert alice.get(CODES)["Location"] == SETUP


def test_turning_it_off_needs_a_current_code(alice: Client, primary: User) -> None:
    device = two_factor_on(primary)
    alice.force_login(primary)

    page = alice.get(OFF).content.decode()
    assert "To confirm it is you" in page
    wrong = alice.post(OFF, {"code": "000000" if totp_code(device) != "000000" else "111111"})
    assert "That code did not work" in wrong.content.decode()
    assert two_factor.is_enabled(primary)

    device.refresh_from_db()
    device.throttling_failure_timestamp = None
    device.save()
    response = alice.post(OFF, {"code": totp_code(device)}, follow=True)

    assert response.redirect_chain == [(SETTINGS, 302)]
    assert "Two-step sign-in is off." in response.content.decode()
    assert not two_factor.is_enabled(primary)
    assert actions() == ["two_factor_off"]


def test_a_backup_code_turns_it_off_too(alice: Client, primary: User) -> None:
    two_factor_on(primary)
    code = two_factor.backup_codes_replace(user=primary, request=None)[0]

    alice.post(OFF, {"code": code})

    assert not two_factor.is_enabled(primary)
    assert two_factor.backup_codes_left(primary) == 0


def test_turning_it_off_when_it_is_off_says_so(alice: Client) -> None:
    assert alice.get(OFF)["Location"] == SETTINGS


def test_staff_are_warned_before_turning_it_off(client: Client, staff: User) -> None:
    client.force_login(staff)
    html = client.get(OFF).content.decode()
    assert "the administration will not open for you" in html
