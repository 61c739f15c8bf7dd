"""In Chromium: add a medication, enter a three-step taper, see the plan and the days."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from conftest import browser_log_in, make_patient, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_three_step_taper_from_the_phone(live_server, page: Page) -> None:
    ana = make_user("ana@example.com", "Ana García")
    patient = make_patient(ana, "Rosa García")
    page.set_viewport_size({"width": 390, "height": 844})
    browser_log_in(page, live_server.url, "ana@example.com")

    page.goto(f"{live_server.url}/patients/{patient.pk}/")
    page.get_by_role("link", name="Medications").click()
    page.get_by_role("button", name="Add a medication").click()
    page.get_by_label("Name", exact=True).fill("Prednisone")
    page.get_by_label("Strength").fill("5 mg")
    page.get_by_label("Dose", exact=True).fill("1")
    page.get_by_role("button", name="Save and choose when").click()

    page.get_by_role("link", name="Enter a taper instead").click()
    page.get_by_role("textbox", name="Time 1", exact=True).fill("08:00")
    for step, (amount, days) in enumerate([("2", "5"), ("1", "5"), ("0.5", "3")], start=1):
        page.get_by_label(f"Step {step}: dose").fill(amount)
        page.locator(f"#id_step{step}_days").fill(days)
    page.get_by_role("button", name="Show the plan").click()

    plan = page.get_by_role("region", name="The plan")
    expect(plan.get_by_role("listitem")).to_have_count(3)
    expect(plan).to_contain_text("2 tablet from")
    page.get_by_role("button", name="Save taper").click()

    expect(page.get_by_role("status")).to_contain_text("The taper is saved")
    upcoming = page.get_by_role("region", name="Coming up")
    expect(upcoming).to_contain_text("08:00 (2)")
    expect(page.get_by_text("2 tablet", exact=False).first).to_be_visible()
