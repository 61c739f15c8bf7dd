"""In Chromium: a dose marked taken, undone, and another skipped with a reason."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from conftest import add_medication, browser_log_in, make_patient, make_user
from doses.models import Dose
from medications.models import MedicationSchedule
from medtrack.rls import system_context

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_taken_undo_and_skip_on_the_today_page(live_server, page: Page) -> None:
    ana = make_user("ana@example.com", "Ana García")
    patient = make_patient(ana, "Rosa García", timezone="UTC")
    add_medication(ana, patient, name="Metformin")
    add_medication(ana, patient, name="Paracetamol", is_prn=True, prn_max_per_day=1)
    page.set_viewport_size({"width": 390, "height": 844})
    browser_log_in(page, live_server.url, "ana@example.com")
    page.goto(f"{live_server.url}/patients/{patient.pk}/doses/")

    first, second = page.locator("li.dose").nth(0), page.locator("li.dose").nth(1)
    first.get_by_role("button", name="Taken").click()
    expect(page.locator("li.dose").nth(0)).to_contain_text("by Ana García")
    page.locator("li.dose").nth(0).get_by_role("button", name="Undo").click()
    expect(page.locator("li.dose").nth(0).get_by_role("button", name="Taken")).to_be_visible()

    second.locator("summary", has_text="Skip").click()
    second.get_by_label("Why?").fill("asleep")
    second.get_by_role("button", name="Skip this dose").click()
    expect(page.locator("li.dose").nth(1)).to_contain_text("Skipped")
    expect(page.locator("li.dose").nth(1)).to_contain_text("asleep")

    page.reload()  # what htmx showed is what was saved
    expect(page.locator("li.dose").nth(1)).to_contain_text("asleep")
    expect(page.locator("li.dose").nth(0).get_by_role("button", name="Taken")).to_be_visible()

    as_needed = page.get_by_role("region", name="As needed")
    as_needed.get_by_role("button", name="Give a dose now").click()
    expect(page.get_by_role("status")).to_contain_text("Dose recorded")
    page.get_by_role("region", name="As needed").get_by_role(
        "button", name="Give a dose now"
    ).click()
    expect(page.get_by_role("status")).to_contain_text("Not yet: at most 1 dose in 24 hours")


def test_recording_a_due_dose_changes_adherence(live_server, page: Page) -> None:
    ana = make_user("ana@example.com", "Ana García")
    patient = make_patient(ana, "Rosa García", timezone="UTC")
    medication = add_medication(ana, patient, name="Metformin")
    with system_context("test"):
        schedule = MedicationSchedule.objects.get(medication=medication)
        Dose.objects.filter(medication=medication).delete()  # one dose, whatever the hour
        Dose.objects.create(  # due ten minutes ago, so its time has passed
            patient=patient,
            medication=medication,
            schedule=schedule,
            amount=1,
            scheduled_for=max(  # and still today, even just after midnight
                timezone.now() - dt.timedelta(minutes=10),
                timezone.now().replace(hour=0, minute=0, second=1, microsecond=0),
            ),
        )
    browser_log_in(page, live_server.url, "ana@example.com")

    page.goto(f"{live_server.url}/patients/{patient.pk}/")
    adherence = page.get_by_role("region", name="Doses taken")
    expect(adherence.get_by_role("row", name="All medications")).to_contain_text("—")
    page.goto(f"{live_server.url}/patients/{patient.pk}/doses/")
    page.locator("li.dose-due").get_by_role("button", name="Taken").click()
    expect(page.locator("li.dose-taken")).to_contain_text("by Ana García")
    page.goto(f"{live_server.url}/patients/{patient.pk}/")
    expect(
        page.get_by_role("region", name="Doses taken").get_by_role("row", name="All medications")
    ).to_contain_text("100%")
