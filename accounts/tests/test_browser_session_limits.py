"""In Chromium: the warning before the idle limit, "Stay signed in", and what was
being typed coming back after signing in again (from the server, not the browser)."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from playwright.sync_api import Page, expect

from accounts.models import User
from conftest import PASSWORD, browser_log_in
from patients.models import Patient

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_warning_comes_first_and_staying_signed_in_restarts_the_clock(
    live_server, page: Page, primary: User, settings
) -> None:
    settings.SESSION_IDLE_WARNING_SECONDS = 30 * 60 - 4  # four seconds after each page
    browser_log_in(page, live_server.url, primary.email)
    dialog = page.get_by_role("dialog", name="Are you still there?")
    expect(dialog).to_be_visible(timeout=10_000)
    expect(dialog).to_contain_text("Signing out in 29:")
    with page.expect_response(lambda r: "/session/keepalive/" in r.url) as kept:
        dialog.get_by_role("button", name="Stay signed in").click()
    assert kept.value.json()["remaining"] == 1800
    expect(dialog).to_be_hidden(timeout=2000)
    expect(dialog).to_be_visible(timeout=10_000)  # the clock started again


@pytest.mark.parametrize(
    "viewport", [{"width": 390, "height": 844}, {"width": 1280, "height": 800}]
)
def test_what_was_typed_survives_the_idle_sign_out(
    live_server, page: Page, primary: User, patient: Patient, settings, viewport
) -> None:
    settings.SESSION_IDLE_MINUTES = 0.25  # fifteen seconds
    settings.SESSION_IDLE_WARNING_SECONDS = 12
    page.set_viewport_size(viewport)
    write = reverse("journal:write", kwargs={"patient_id": patient.pk})
    browser_log_in(page, live_server.url, primary.email)
    page.goto(live_server.url + write)
    page.get_by_label("Notes").fill("Slept badly; asked for water twice")
    expect(page.get_by_role("dialog", name="Are you still there?")).to_be_visible()

    # Nobody answers: the page saves the form as a draft, then the server signs out.
    expect(page.get_by_role("heading", name="Log in")).to_be_visible(timeout=20_000)
    expect(page.get_by_role("status").first).to_contain_text("nothing happened for a while")
    # Neither the draft nor any page (htmx's history cache is off) is kept in the browser:
    # htmx keeps only the current path there.
    stored = page.evaluate("JSON.stringify([{...localStorage}, {...sessionStorage}])")
    assert "water" not in stored
    assert "htmx-history-cache" not in stored
    page.get_by_label("E-mail").fill(primary.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()

    expect(page).to_have_url(re.compile(re.escape(write) + "$"))
    expect(page.get_by_label("Notes")).to_have_value("Slept badly; asked for water twice")
    expect(page.get_by_text("What you had typed is back")).to_be_visible()
