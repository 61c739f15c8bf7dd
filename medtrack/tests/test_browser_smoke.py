"""A caregiver signs up, logs out, logs in and sees the dashboard, in Chromium."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize(
    "viewport", [{"width": 390, "height": 844}, {"width": 1280, "height": 800}]
)
def test_sign_up_log_out_log_in_and_see_the_dashboard(live_server, page: Page, viewport) -> None:
    page.set_viewport_size(viewport)
    page.goto(live_server.url)
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=/$"))

    page.get_by_role("link", name="Create an account").click()
    page.get_by_label("Your name").fill("Ana García")
    page.get_by_label("E-mail").fill("ana@example.com")
    page.get_by_label("Password", exact=True).fill("correct-horse-battery")
    page.get_by_label("Password confirmation").fill("correct-horse-battery")
    page.get_by_role("button", name="Create account").click()

    expect(page.get_by_role("heading", name="Hello, Ana García")).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text("Welcome to MedTrack")

    page.get_by_label("Account menu").click()
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()

    page.get_by_label("E-mail").fill("ana@example.com")
    page.get_by_label("Password").fill("correct-horse-battery")
    page.get_by_role("button", name="Log in").click()

    expect(page.get_by_role("heading", name="Hello, Ana García")).to_be_visible()
    expect(page.get_by_role("heading", name="Let's get started")).to_be_visible()
