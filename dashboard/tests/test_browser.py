"""On a phone, as the demo user: the dashboard, a dose marked taken from it in
place, then a patient's trends and adherence."""

from __future__ import annotations

import pytest
from django.conf import settings as django_settings
from django.core.management import call_command
from playwright.sync_api import Page, expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_morning_routine_on_a_phone(live_server, page: Page, settings) -> None:
    settings.DEBUG = True
    call_command("seed_demo", verbosity=0)
    _a_dose_due_now()
    base = live_server.url
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("E-mail").fill(django_settings.DEMO_EMAIL)
    page.get_by_label("Password").fill(django_settings.DEMO_PASSWORD)
    page.get_by_role("button", name="Log in").click()

    expect(page.get_by_role("heading", name="Due now")).to_be_visible()
    expect(page.get_by_role("heading", name="Needs attention")).to_be_visible()
    first = page.locator("#due-heading + ul li.dose").first
    row_id = first.get_attribute("id")
    first.get_by_role("button", name="Taken").click()
    row = page.locator(f"#{row_id}")
    expect(row.get_by_role("button", name="Undo")).to_be_visible()  # swapped in place
    expect(row.locator("mark.state")).to_contain_text("Taken")
    page.get_by_role("link", name="Trends and adherence").first.click()
    expect(page.get_by_role("heading", name="Trends and adherence", level=1)).to_be_visible()
    expect(page.get_by_role("heading", name="Doses, week by week")).to_be_visible()
    expect(page.locator("svg.chart").first).to_be_visible()


def _a_dose_due_now() -> None:
    """The demo's schedules are real ones; make sure one dose is due this minute."""
    import datetime as dt

    from django.utils import timezone

    from doses.models import Dose
    from medications.models import MedicationSchedule
    from medtrack.rls import system_context

    with system_context("test"):
        schedule = (
            MedicationSchedule.objects.filter(
                medication__patient__caregivers__caregiver__email=django_settings.DEMO_EMAIL
            )
            .select_related("medication")
            .first()
        )
        Dose.objects.create(
            patient_id=schedule.medication.patient_id,
            medication=schedule.medication,
            schedule=schedule,
            scheduled_for=timezone.now().replace(second=0, microsecond=0)
            + dt.timedelta(seconds=7),
            amount=schedule.medication.dose_amount,
        )
