"""In Chromium, on a phone: a sync token made in Settings, an app syncing, and revoking it."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from conftest import add_medication, browser_log_in, make_patient, make_user
from sync.tests.conftest import Api

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_caregiver_connects_an_app_and_disconnects_it(live_server, page: Page) -> None:
    ana = make_user("ana@example.com", "Ana García")
    patient = make_patient(ana, "Rosa García", timezone="Europe/Madrid")
    add_medication(ana, patient)
    page.set_viewport_size({"width": 390, "height": 844})
    browser_log_in(page, live_server.url, "ana@example.com")

    page.goto(f"{live_server.url}/accounts/settings/")
    page.get_by_role("link", name="Apps that sync").click()
    expect(page.get_by_text("No app has synced yet.")).to_be_visible()
    page.get_by_label("Name").fill("Kitchen tablet")
    page.get_by_role("button", name="Make token").click()
    expect(page.get_by_role("status")).to_contain_text("Token “Kitchen tablet” made.")
    secret = page.get_by_role("textbox", name="Token").input_value()
    assert secret.startswith("mt_")
    assert page.get_by_role("textbox", name="Server address").input_value() == live_server.url

    tablet = Api(secret, client_id="kitchen-tablet")
    received = tablet.pull()
    assert {change["entity"] for change in received} >= {"patients", "medications", "doses"}

    page.goto(f"{live_server.url}/accounts/settings/sync/")
    expect(page.get_by_role("textbox", name="Token")).to_have_count(0)  # shown once
    expect(page.get_by_role("cell", name="kitchen-tablet")).to_be_visible()
    expect(page.get_by_text("last used")).to_be_visible()
    page.get_by_role("button", name="Revoke Kitchen tablet").click()
    expect(page.get_by_role("status")).to_contain_text("that app can no longer sync")
    assert tablet.get().status_code == 401
