"""Journey 5: Ana books Rosa's cardiology appointment, subscribes to her calendar
feed (the event is in it), gets the reminder a day before in her inbox and her
mailbox, and makes the PDF report for the doctor, which names Rosa."""

from __future__ import annotations

import datetime as dt
import io

import icalendar
import pytest
from django.core import mail
from django.core.management import call_command
from playwright.sync_api import Page, expect

from medtrack.tests.journeys.steps import (
    MADRID,
    NEXT_MORNING,
    add_patient,
    open_section,
    shot,
    sign_up,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
APPOINTMENT = dt.datetime(2026, 12, 15, 10, 30, tzinfo=MADRID)  # Tuesday


def run_jobs() -> None:
    """What cron and the worker do: the periodic jobs, then the queued e-mails."""
    call_command("run_jobs", "--once", stdout=io.StringIO())
    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", "--interval", "0")


def test_an_appointment_its_feed_its_reminder_and_the_report(
    live_server, page: Page, new_context, time_machine, screen: str
) -> None:
    time_machine.move_to(NEXT_MORNING)
    base = live_server.url
    sign_up(page, base, "Ana García", "ana@example.com")
    patient_url = add_patient(page)

    open_section(page, patient_url, "Appointments")
    page.get_by_role("button", name="Add an appointment").click()
    page.get_by_label("What").fill("Cardiology check-up")
    page.get_by_label("Type").select_option(label="Specialist")
    page.get_by_label("With (doctor, clinic)").fill("Dr. Ruiz")
    page.get_by_label("Where").fill("Hospital Clínico, planta 3")
    page.get_by_label("Starts").fill("2026-12-15T10:30")
    expect(page.get_by_label("1 day before")).to_be_checked()
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_contain_text("Cardiology check-up was added.")

    # Her phone's calendar subscribes to a secret address.
    page.get_by_role("link", name="Calendar", exact=True).click()
    expect(page.get_by_role("main")).to_contain_text("Cardiology check-up")
    page.get_by_role("link", name="Show these in my phone's calendar").click()
    page.get_by_label("Name").fill("Ana's phone")
    page.get_by_role("button", name="Make address").click()
    address = page.get_by_role("textbox", name="Calendar address").input_value()
    shot(page, "journey5-calendar-address", screen)
    phone = new_context()  # the calendar app: no session, only the address
    feed = phone.request.get(address)
    assert feed.status == 200
    assert feed.headers["content-type"].startswith("text/calendar")
    (event,) = icalendar.Calendar.from_ical(feed.body()).walk("VEVENT")
    assert "Cardiology check-up" in str(event["SUMMARY"])
    assert event.decoded("DTSTART") == APPOINTMENT
    assert "Hospital Clínico" in str(event["LOCATION"])

    # A day before, the reminder: in the inbox and by e-mail.
    time_machine.move_to(APPOINTMENT - dt.timedelta(days=1) + dt.timedelta(minutes=1))
    run_jobs()
    (reminder,) = mail.outbox  # no health details in an e-mail: who and when only
    assert reminder.to == ["ana@example.com"]
    assert reminder.subject == "Appointment coming up: Rosa · MedTrack"
    assert "15 Dec" in reminder.body, reminder.body
    page.goto(f"{base}/")
    page.get_by_role("link", name="Notifications, 1 new").click()
    expect(page.get_by_role("main")).to_contain_text("Rosa García: Cardiology check-up")
    shot(page, "journey5-reminder", screen)

    # The report for the doctor.
    page.goto(patient_url)
    page.get_by_role("link", name="Report for the doctor and exports").click()
    page.get_by_label("PDF report for the doctor").check()
    page.get_by_role("button", name="Make the export").click()
    expect(page.get_by_role("status").first).to_contain_text("The export is being made")
    run_jobs()
    link = page.locator("#export-jobs").get_by_role("link", name="Download")
    expect(link).to_be_visible(timeout=20_000)  # the page checks by itself
    shot(page, "journey5-report-ready", screen)
    with page.expect_download() as download:
        link.click()
    with open(download.value.path(), "rb") as handle:
        report = handle.read()
    assert report.startswith(b"%PDF-")
    from pypdf import PdfReader

    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(report)).pages)
    assert "Rosa García" in text
