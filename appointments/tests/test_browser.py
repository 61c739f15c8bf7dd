"""In Chromium: an appointment added on a phone, then found in the calendar feed."""

from __future__ import annotations

import icalendar
import pytest
from playwright.sync_api import Page, expect

from conftest import browser_log_in, make_patient, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_appointment_reaches_the_calendar_feed(live_server, page: Page) -> None:
    ana = make_user("ana@example.com", "Ana García")
    patient = make_patient(ana, "Rosa García", timezone="Europe/Madrid")
    page.set_viewport_size({"width": 390, "height": 844})
    browser_log_in(page, live_server.url, "ana@example.com")
    page.goto(f"{live_server.url}/patients/{patient.pk}/")

    page.get_by_role("link", name="Appointments", exact=True).click()
    page.get_by_role("button", name="Add the first appointment").click()
    page.get_by_label("What").fill("Eye test")
    page.get_by_label("Type").select_option(label="Eyes")
    page.get_by_label("Starts").fill("2030-06-04T09:30")
    page.get_by_label("Where").fill("Óptica Sol, Calle Mayor 3")
    page.get_by_label("Who takes them").select_option(label="Ana García")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_contain_text("Eye test was added.")
    expect(page.get_by_role("heading", name="Eye test")).to_be_visible()

    page.goto(f"{live_server.url}/accounts/calendar-feeds/")
    page.get_by_label("Name").fill("Ana's phone")
    page.get_by_role("button", name="Make address").click()
    address = page.get_by_role("textbox", name="Calendar address").input_value()
    assert address.startswith(f"{live_server.url}/calendar/mt_")

    response = page.request.get(address)
    assert response.ok
    (event,) = icalendar.Calendar.from_ical(response.body()).walk("VEVENT")
    assert str(event["summary"]) == "Eye test — Rosa García"
    assert event.DTSTART.isoformat() == "2030-06-04T09:30:00+02:00"
    assert str(event["location"]) == "Óptica Sol, Calle Mayor 3"

    page.goto(f"{live_server.url}/accounts/calendar-feeds/")
    expect(page.get_by_role("textbox", name="Calendar address")).to_have_count(0)  # shown once
    page.get_by_role("button", name="Revoke").click()
    assert page.request.get(address).status == 404
