"""In Chromium: attach a photo to a reading, see its thumbnail, share it with a
nurse who is not on the team, who sees it; then stop sharing."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse
from playwright.sync_api import Browser, Page, expect

from conftest import add_reading, browser_log_in, make_patient, make_user, png_bytes

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_attach_a_photo_share_it_and_stop_sharing(
    live_server, page: Page, browser: Browser
) -> None:
    ana = make_user("ana@example.com", "Ana García")
    make_user("nora@example.com", "Nora Nurse")
    patient = make_patient(ana, "Rosa García")
    reading = add_reading(ana, patient, "blood_pressure", Decimal(150), Decimal(95))
    base = live_server.url
    page.set_viewport_size({"width": 390, "height": 844})

    browser_log_in(page, base, "ana@example.com")
    page.goto(base + reverse("measurements:edit", args=[patient.pk, reading.pk]))
    page.get_by_role("button", name="Attach a photo or document").click()
    page.get_by_label("Files", exact=True).set_input_files(
        files=[{"name": "rash.png", "mimeType": "image/png", "buffer": png_bytes((300, 200))}]
    )
    page.get_by_role("button", name="Upload").click()
    expect(page.get_by_role("status").first).to_contain_text("1 file kept.")
    thumbnail = page.locator(".file-grid img").first
    expect(thumbnail).to_be_visible()
    loaded = "img => img.complete && img.naturalWidth > 0"
    page.wait_for_function(loaded, arg=thumbnail.element_handle())

    # The reading shows it too.
    page.goto(base + reverse("measurements:edit", args=[patient.pk, reading.pk]))
    page.get_by_role("link", name="rash").click()
    page.get_by_label("Their e-mail").fill("nora@example.com")
    page.get_by_label("How long").select_option(label="For a week")
    page.get_by_role("button", name="Share", exact=True).click()
    expect(page.get_by_role("status").first).to_contain_text("Shared with nora@example.com")

    nora = browser.new_context(viewport={"width": 390, "height": 844}).new_page()
    browser_log_in(nora, base, "nora@example.com")
    nora.goto(base + reverse("files:shared"))
    nora.get_by_role("link", name="rash").click()
    expect(nora.get_by_role("heading", name="rash", level=1)).to_be_visible()
    image = nora.get_by_role("img", name="rash")
    expect(image).to_be_visible()
    nora.wait_for_function("img => img.naturalWidth === 300", arg=image.element_handle())

    page.get_by_role("button", name="Stop sharing with Nora Nurse").click()
    expect(page.get_by_role("status").first).to_contain_text("Nora Nurse can no longer see it.")
    nora.reload()
    expect(nora.get_by_role("heading", level=1)).to_contain_text("not found", ignore_case=True)
