"""In Chromium, on a phone and on a desktop: a caregiver turns on two-step sign-in
from Settings, then logs in with a code from the app, and with a backup code."""

from __future__ import annotations

import base64
import re

import pytest
from django_otp.oath import totp
from playwright.sync_api import Page, expect

from conftest import PASSWORD, browser_log_in, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WATCH = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (event) =>
  window.__violations.push(`${event.violatedDirective} ${event.blockedURI}`));
"""
APP_CODE = "6-digit code from your authenticator app"


def code_from(secret: str, *, steps_ahead: int = 0) -> str:
    """What an authenticator app shows for ``secret`` (the next code: ``steps_ahead=1``)."""
    key = base64.b32decode(secret.replace(" ", ""))
    return f"{totp(key, drift=steps_ahead):06d}"


def password_step(page: Page, base: str) -> None:
    page.get_by_label("Account menu").click()
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()
    page.get_by_label("E-mail").fill("ana@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Enter your code")).to_be_visible()
    assert page.evaluate("window.__violations") == []


@pytest.mark.parametrize(
    "viewport", [{"width": 390, "height": 844}, {"width": 1280, "height": 800}]
)
def test_turn_on_two_step_sign_in_then_log_in_with_the_app_and_a_backup_code(
    live_server, page: Page, viewport
) -> None:
    make_user("ana@example.com", "Ana García")
    page.set_viewport_size(viewport)
    page.add_init_script(WATCH)
    browser_log_in(page, live_server.url, "ana@example.com")

    page.goto(f"{live_server.url}/accounts/settings/")
    section = page.get_by_role("region", name="Two-step sign-in")
    expect(section).to_contain_text("a guessed or stolen password is not enough")
    section.get_by_role("button", name="Turn on two-step sign-in").click()

    expect(page.get_by_role("heading", name="Turn on two-step sign-in")).to_be_visible()
    qr = page.locator("svg.qr-code")
    expect(qr).to_be_visible()
    box = qr.bounding_box()
    assert box is not None
    assert 150 <= box["width"] <= viewport["width"]
    assert box["width"] == pytest.approx(box["height"], abs=1)
    page.get_by_text("Cannot scan? Type the key instead").click()
    secret = page.locator("#otp-secret").inner_text()
    assert re.fullmatch(r"[A-Z2-7]{4}( [A-Z2-7]{4}){7}", secret)
    assert page.evaluate("window.__violations") == []

    page.get_by_label(APP_CODE).fill("000000" if code_from(secret) != "000000" else "111111")
    page.get_by_role("button", name="Turn on two-step sign-in").click()
    expect(page.get_by_text("That code did not work")).to_be_visible()
    page.wait_for_timeout(1100)  # django-otp makes the next try wait a second
    page.get_by_label(APP_CODE).fill(code_from(secret))
    page.get_by_role("button", name="Turn on two-step sign-in").click()

    expect(page.get_by_role("heading", name="Save your backup codes")).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text("Two-step sign-in is on.")
    codes = page.locator("ol.backup-codes code").all_inner_texts()
    assert len(codes) == 10
    page.get_by_role("button", name="I saved them").click()
    expect(section).to_contain_text("On.")
    expect(section).to_contain_text("10 backup codes left")

    # Next time: the password, then the code the app shows by then.
    password_step(page, live_server.url)
    page.get_by_label(APP_CODE).fill(code_from(secret, steps_ahead=1))
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", name="Hello, Ana García")).to_be_visible()

    # A lost phone: a backup code instead, once.
    password_step(page, live_server.url)
    page.get_by_role("link", name="Lost your phone? Use a backup code").click()
    page.get_by_label("Backup code").fill(codes[0].upper())
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", name="Hello, Ana García")).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text("You used a backup code; 9 left.")
