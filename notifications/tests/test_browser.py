"""In Chromium: a dose passes its missed window (the server travels in time), the
jobs and the e-mail worker run, the badge appears, the e-mail is in the mailbox."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.core.management import call_command
from playwright.sync_api import Page, expect

from conftest import add_medication, browser_log_in, make_patient, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
MADRID = ZoneInfo("Europe/Madrid")


def test_a_missed_dose_reaches_the_inbox_and_the_mailbox(
    live_server, page: Page, time_machine, settings
) -> None:
    # Ana stays signed in across the morning the server skips through.
    settings.SESSION_IDLE_MINUTES = 8 * 60
    time_machine.move_to(dt.datetime(2026, 11, 25, 7, 0, tzinfo=MADRID))
    ana = make_user("ana@example.com", "Ana García")
    ana.settings.timezone = "Europe/Madrid"  # her quiet hours are on this clock
    ana.settings.save()
    patient = make_patient(ana, "Rosa García")
    add_medication(ana, patient, "Metformin")  # at 08:00 and 20:00
    base = live_server.url
    page.set_viewport_size({"width": 390, "height": 844})

    browser_log_in(page, base, "ana@example.com")
    expect(page.get_by_role("link", name="Notifications, 0 new")).to_be_visible()

    # Ana chooses quiet hours for her nap; a missed dose is urgent, its e-mail still comes.
    page.get_by_role("link", name="Notifications, 0 new").click()
    page.get_by_role("link", name="Choices").click()
    page.get_by_label("Quiet hours from").fill("12:00")
    page.get_by_label("Quiet hours until").fill("15:00")
    page.get_by_role("button", name="Save choices").click()
    expect(page.get_by_role("status")).to_contain_text("Your notification choices were saved.")

    # Nobody records the 08:00 dose. At 12:30 it is missed: the jobs and the worker run.
    time_machine.move_to(dt.datetime(2026, 11, 25, 12, 30, tzinfo=MADRID))
    call_command("run_jobs", "--once", stdout=open("/dev/null", "w"))  # noqa: SIM115
    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", "--interval", "0")

    page.goto(f"{base}/")
    bell = page.get_by_role("link", name="Notifications, 1 new")
    expect(bell).to_be_visible()
    bell.click()
    page.get_by_role("button", name="Metformin was not given to Rosa García").click()
    expect(page).to_have_url(f"{base}/patients/{patient.pk}/doses/")
    expect(page.get_by_role("link", name="Notifications, 0 new")).to_be_visible()

    (message,) = mail.outbox
    assert message.to == ["ana@example.com"]
    assert message.subject == "Dose missed: Rosa · MedTrack"
    assert "A dose for Rosa due Wed 25 Nov, 08:00 was not recorded." in message.body
