"""In Chromium: invite a caregiver, who accepts from the e-mail; then make them a viewer."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from playwright.sync_api import Browser, Page, expect

from conftest import PASSWORD, browser_log_in, make_patient, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_invite_accept_from_the_email_then_demote_to_viewer(
    live_server, page: Page, browser: Browser
) -> None:
    ana = make_user("ana@example.com", "Ana García")
    patient = make_patient(ana, "Rosa García")
    base = live_server.url

    browser_log_in(page, base, "ana@example.com")
    page.goto(f"{base}/patients/{patient.pk}/")
    page.get_by_role("link", name="Care team").click()
    page.get_by_label("Their e-mail").fill("ben@example.com")
    page.get_by_label("Caregiver", exact=True).check()
    page.get_by_role("button", name="Send invitation").click()
    expect(page.get_by_role("status")).to_contain_text("Invitation sent to ben@example.com")

    # Ben opens the link from his e-mail in his own browser and signs up.
    link = re.search(r"https?://[^/\s]+(/invitations/\S+/)", mail.outbox[-1].body).group(1)
    ben = browser.new_context(viewport={"width": 390, "height": 844}).new_page()
    ben.goto(base + link)
    expect(ben.get_by_role("heading", level=1)).to_contain_text(
        "Ana García invited you to help care for Rosa García"
    )
    ben.get_by_role("button", name="Create an account").click()
    ben.get_by_label("Your name").fill("Ben García")
    expect(ben.get_by_label("E-mail")).to_have_value("ben@example.com")
    ben.get_by_label("Password", exact=True).fill(PASSWORD)
    ben.get_by_label("Password confirmation").fill(PASSWORD)
    ben.get_by_role("button", name="Create account").click()
    ben.get_by_role("button", name="Accept").click()
    expect(ben.get_by_role("heading", name="Rosa García", level=1)).to_be_visible()
    expect(ben.get_by_role("button", name="Edit")).to_be_visible()

    # Ana makes Ben a viewer; his edit button is gone.
    page.reload()
    page.get_by_role("link", name="Change role").click()
    page.get_by_label("Viewer").check()
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_contain_text("Ben García's role was updated")

    ben.reload()
    expect(ben.get_by_role("heading", name="Rosa García", level=1)).to_be_visible()
    expect(ben.get_by_role("button", name="Edit")).to_have_count(0)
