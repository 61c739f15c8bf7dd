"""Journey 1: a new caregiver signs up (with the keyboard only), adds her mother
with her allergies, conditions, emergency contact and time zone, then three
medications (twice a day, on weekdays, as needed) and a taper, and sees Today."""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import Page, expect

from doses.models import Dose
from medications.models import Medication
from medtrack.rls import system_context
from medtrack.tests.journeys.steps import (
    FIRST_EVENING,
    add_as_needed_medication,
    add_daily_medication,
    add_patient,
    add_taper,
    add_weekday_medication,
    patient_id,
    shot,
    sign_up,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_new_caregiver_sets_up_her_mother_and_sees_today(
    live_server, page: Page, time_machine, screen: str
) -> None:
    time_machine.move_to(FIRST_EVENING)  # Sunday, 19:40 in Madrid
    base = live_server.url

    sign_up(page, base, "Ana García", "ana@example.com", keyboard=True)
    expect(page.get_by_role("heading", name="Let's get started")).to_be_visible()

    patient_url = add_patient(page)
    about = page.get_by_role("article").filter(has=page.get_by_role("heading", name="About"))
    expect(about).to_contain_text("Europe/Madrid")
    expect(about).to_contain_text("Penicillin")
    expect(about).to_contain_text("High blood pressure")
    expect(page.get_by_role("button", name="Call +34612345678")).to_be_visible()

    add_daily_medication(page, patient_url, "Metformin", "500 mg", ["08:00", "20:00"])
    add_weekday_medication(page, patient_url, "Lisinopril", "10 mg", "08:00")
    add_as_needed_medication(page, patient_url, "Paracetamol", "500 mg", per_day=1)
    monday = FIRST_EVENING.date() + dt.timedelta(days=1)
    add_taper(page, patient_url, "Prednisone", "5 mg", monday, [("2", "3"), ("1", "3")])
    # The taper's page leads back to the list through its breadcrumb.
    page.get_by_role("navigation", name="breadcrumb").get_by_role(
        "link", name="Medications"
    ).click()
    taking = page.get_by_role("region", name="Taking now")
    for name in ("Metformin", "Lisinopril", "Paracetamol", "Prednisone"):
        expect(taking).to_contain_text(name)
    shot(page, "journey1-medications", screen)

    # Today: the 20:00 Metformin is due in twenty minutes.
    page.get_by_role("link", name="Today", exact=True).click()
    due = page.get_by_role("region", name="Due now")
    expect(due.get_by_role("listitem")).to_have_count(1)
    expect(due).to_contain_text("20:00")
    expect(due).to_contain_text("Rosa García · Metformin 500 mg")
    expect(page.get_by_role("region", name="Today, patient by patient")).to_contain_text(
        "0 of 2 doses given today"
    )
    shot(page, "journey1-today", screen)

    # The patient's own day, and tomorrow's first doses waiting in the database.
    page.goto(patient_url)
    page.get_by_role("link", name="Today's doses").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Doses for Sunday 13 December")
    expect(page.get_by_role("region", name="As needed")).to_contain_text("Paracetamol")
    with system_context("test: the journey's outcome"):
        medications = Medication.objects.filter(patient_id=patient_id(patient_url))
        assert sorted(m.name for m in medications) == [
            "Lisinopril",
            "Metformin",
            "Paracetamol",
            "Prednisone",
        ]
        tomorrow = Dose.objects.filter(
            patient_id=patient_id(patient_url),
            scheduled_for__date=monday,
        )
        assert sorted(d.medication.name for d in tomorrow) == [
            "Lisinopril",
            "Metformin",
            "Metformin",
            "Prednisone",
        ]
