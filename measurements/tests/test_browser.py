"""In Chromium on a phone-sized screen: a blood pressure above target, flagged and
charted, then today's journal entry."""

from __future__ import annotations

from decimal import Decimal

import pytest
from playwright.sync_api import Page, expect

from conftest import browser_log_in, make_patient, make_user, set_target

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_high_blood_pressure_is_flagged_and_charted_then_the_journal_is_written(
    live_server, page: Page
) -> None:
    ana = make_user("ana@example.com", "Ana García")
    patient = make_patient(ana, "Rosa García", timezone="Europe/Madrid")
    set_target(ana, patient, "blood_pressure", Decimal(90), Decimal(140))
    page.set_viewport_size({"width": 390, "height": 844})
    browser_log_in(page, live_server.url, "ana@example.com")
    page.goto(f"{live_server.url}/patients/{patient.pk}/")

    page.get_by_role("link", name="Vital signs").click()
    page.get_by_role("button", name="Record the first reading").click()
    page.get_by_role("button", name="Blood pressure").click()
    page.get_by_label("Systolic (upper number) (mmHg)").fill("162")
    page.get_by_label("Diastolic (lower number) (mmHg)").fill("70")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("The lower (diastolic) number must be below")).to_have_count(0)
    expect(page.get_by_role("status")).to_contain_text(
        "Saved blood pressure: 162/70\xa0mmHg — outside the target range."
    )

    chart = page.get_by_role("img", name="Blood pressure, last 30 days")
    expect(chart).to_be_visible()
    expect(chart.locator("polyline")).to_have_count(2)
    expect(chart.locator("circle.chart-flagged.series-0")).to_have_count(1)  # the systolic
    expect(page.locator("tr.is-flagged")).to_contain_text("Outside target")

    page.goto(f"{live_server.url}/patients/{patient.pk}/")
    expect(page.locator(".reading-card.is-flagged")).to_contain_text("162/70")
    page.get_by_role("button", name="Today's journal").click()
    page.get_by_role("group", name="Mood").get_by_text("Good", exact=True).click()
    expect(page.get_by_role("group", name="Mood").get_by_label("Good", exact=True)).to_be_checked()
    page.get_by_label("Hours slept").fill("6.5")
    page.get_by_role("textbox", name="Symptoms 1").fill("dizzy")
    page.get_by_label("Notes").fill("Dizzy after lunch; rested.")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_contain_text("Journal entry saved")
    today = page.get_by_role("region", name="Today")
    expect(today).to_contain_text("Mood")
    expect(today).to_contain_text("dizzy")
    expect(page.get_by_role("button", name="Edit today's entry")).to_be_visible()
