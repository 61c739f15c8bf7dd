"""Journey 2: the morning after journey 1, with the keyboard only for the doses.
Ana logs in again, gives two of the 08:00 doses from the dashboard and skips the
third with a reason, gives a painkiller and is stopped by its daily limit,
records a blood pressure above target and sees the alert, and writes the journal."""

from __future__ import annotations

import re

import pytest
from django.core.management import call_command
from playwright.sync_api import Page, expect

from doses.models import Dose
from journal.models import DailyLog
from measurements.models import Measurement
from medtrack.rls import system_context
from medtrack.tests.journeys.steps import (
    FIRST_EVENING,
    NEXT_MORNING,
    first_evening,
    log_in,
    open_section,
    patient_id,
    shot,
    tab_to,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_next_morning_doses_a_painkiller_blood_pressure_and_the_journal(
    live_server, page: Page, time_machine, screen: str
) -> None:
    base = live_server.url
    time_machine.move_to(FIRST_EVENING)
    patient_url = first_evening(page, base)

    # Monday, 08:40. The job runner has run through the night (Sunday's doses: missed).
    time_machine.move_to(NEXT_MORNING)
    call_command("run_jobs", "--once", stdout=open("/dev/null", "w"))  # noqa: SIM115
    page.goto(f"{base}/")  # more than 12 hours since signing up: log in again
    expect(page.get_by_label("E-mail")).to_be_visible()
    log_in(page, base, "ana@example.com", keyboard=True)

    due = page.get_by_role("region", name="Due now")
    expect(due.get_by_role("listitem")).to_have_count(3)
    for name in ("Lisinopril", "Prednisone"):
        row = due.get_by_role("listitem").filter(has_text=name)
        tab_to(page, row.get_by_role("button", name="Taken"))
        page.keyboard.press("Enter")
        expect(row).to_contain_text("by Ana García at 08:40")
    metformin = due.get_by_role("listitem").filter(has_text="Metformin")
    tab_to(page, metformin.get_by_text("Skip", exact=True))
    page.keyboard.press("Enter")  # opens the reason
    page.keyboard.press("Tab")
    expect(metformin.get_by_label("Why?")).to_be_focused()
    page.keyboard.type("No breakfast yet; she takes it with food")
    page.keyboard.press("Enter")
    expect(metformin).to_contain_text("Skipped")
    expect(metformin).to_contain_text("No breakfast yet; she takes it with food")
    shot(page, "journey2-doses", screen)

    # A headache: one paracetamol, then the daily limit says no to a second.
    open_section(page, patient_url, "Today's doses")
    give = page.get_by_role("region", name="As needed").get_by_role(
        "button", name="Give a dose now"
    )
    tab_to(page, give)
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_contain_text("Dose recorded")
    tab_to(page, give)
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_contain_text("Not yet: at most 1 dose in 24 hours")

    # Her doctor's target for blood pressure, then this morning's reading above it.
    open_section(page, patient_url, "Vital signs")
    page.get_by_role("region", name="Trends and targets").get_by_role(
        "link", name="Blood pressure"
    ).click()
    page.get_by_role("link", name="Set a target").click()
    page.get_by_label(re.compile(r"^Systolic.*: highest")).fill("140")
    page.get_by_label(re.compile(r"^Diastolic.*: highest")).fill("90")
    page.get_by_role("button", name="Save target").click()
    expect(page.get_by_role("status")).to_contain_text("Target saved")
    page.get_by_role("navigation", name="breadcrumb").get_by_role(
        "link", name="Rosa García"
    ).click()
    page.get_by_role("navigation", name="Sections").get_by_role("link", name="Vital signs").click()
    page.get_by_role("button", name="Record a reading").click()
    page.get_by_role("button", name="Blood pressure").click()
    page.get_by_label(re.compile(r"^Systolic")).fill("165")
    page.get_by_label(re.compile(r"^Diastolic")).fill("100")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_contain_text("outside the target range")
    shot(page, "journey2-blood-pressure", screen)
    page.get_by_role("link", name="Today", exact=True).click()
    expect(page.get_by_role("region", name="Needs attention")).to_contain_text(
        "Rosa García: 1 reading outside its target"
    )

    # The journal for the day.
    page.goto(patient_url)
    page.get_by_role("button", name="Today's journal").click()
    page.get_by_role("group", name="Mood").get_by_label("OK").check()
    page.get_by_label("Hours slept").fill("6.5")
    page.get_by_role("textbox", name="Symptoms 1", exact=True).fill("Headache")
    page.get_by_label("Notes").fill("Headache at breakfast; paracetamol at 08:45. BP high.")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_contain_text(
        "Journal entry saved for Monday 14 December."
    )
    shot(page, "journey2-journal", screen)

    rosa = patient_id(patient_url)
    with system_context("test: the journey's outcome"):
        morning = {
            dose.medication.name: dose
            for dose in Dose.objects.filter(
                patient_id=rosa, scheduled_for=NEXT_MORNING.replace(minute=0)
            ).select_related("medication", "recorded_by")
        }
        assert {name: dose.status for name, dose in morning.items()} == {
            "Lisinopril": "taken",
            "Prednisone": "taken",
            "Metformin": "skipped",
        }
        assert morning["Lisinopril"].recorded_by.email == "ana@example.com"
        assert morning["Metformin"].skip_reason == "No breakfast yet; she takes it with food"
        given = Dose.objects.filter(patient_id=rosa, medication__name="Paracetamol")
        assert [dose.status for dose in given] == ["taken"]
        (reading,) = Measurement.objects.filter(patient_id=rosa)
        assert (reading.value, reading.value_secondary, reading.out_of_range) == (165, 100, True)
        (entry,) = DailyLog.objects.filter(patient_id=rosa)
        assert entry.log_date == NEXT_MORNING.date()
        assert entry.symptoms == ["Headache"]
