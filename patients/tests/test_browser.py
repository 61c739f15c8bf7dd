"""In Chromium: a new caregiver adds a patient; another user cannot reach it."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from conftest import PASSWORD, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def sign_up(page: Page, base: str, name: str, email: str) -> None:
    page.goto(f"{base}/accounts/signup/")
    page.get_by_label("Your name").fill(name)
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Password confirmation").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()


def test_a_caregiver_adds_a_patient_that_others_cannot_reach(live_server, page: Page) -> None:
    page.set_viewport_size({"width": 390, "height": 844})
    sign_up(page, live_server.url, "Ana García", "ana@example.com")

    page.get_by_role("button", name="Add a patient").click()
    page.get_by_label("Full name").fill("Rosa García")
    page.get_by_label("Date of birth").fill("1944-05-17")
    page.get_by_label("Female").check()
    page.get_by_role("textbox", name="Allergy 1", exact=True).fill("Penicillin")
    page.get_by_role("button", name="+ Add another").first.click()
    page.get_by_role("textbox", name="Allergy 2", exact=True).fill("Shellfish")
    page.get_by_role("button", name="+ Add another").first.click()
    page.get_by_role("textbox", name="Allergy 3", exact=True).fill("Typo")
    page.get_by_role("button", name="Remove Allergy 3").click()
    page.get_by_role("textbox", name="Condition 1", exact=True).fill("Type 2 diabetes")
    page.get_by_label("Emergency contact: name").fill("Lucía García")
    page.get_by_label("Emergency contact: phone").fill("+34 612 345 678")
    page.get_by_label("Emergency contact: relationship").fill("Daughter")
    page.get_by_label("Time zone where they live").select_option("Europe/Madrid")
    page.get_by_role("button", name="Add patient").click()

    expect(page.get_by_role("heading", name="Rosa García", level=1)).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text("You are their primary caregiver")
    expect(page.get_by_text("Shellfish")).to_be_visible()
    expect(page.get_by_text("Typo")).to_have_count(0)
    patient_url = page.url
    assert re.search(r"/patients/[0-9a-f-]{36}/$", patient_url)

    page.get_by_label("Account menu").click()
    page.get_by_role("button", name="Log out").click()
    make_user("other@example.com", "Other Person")
    page.get_by_label("E-mail").fill("other@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()

    response = page.goto(patient_url)
    assert response is not None
    assert response.status == 404
    expect(page.get_by_role("heading", name="Page not found")).to_be_visible()
