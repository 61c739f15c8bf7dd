"""In Chromium: ask for the PDF report, wait for it (the page refreshes itself
while the worker makes it), download it."""

from __future__ import annotations

import pytest
from django.urls import reverse
from playwright.sync_api import Page, expect

from conftest import browser_log_in, make_patient, make_user, work_tasks

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_ask_for_the_report_wait_and_download(live_server, page: Page) -> None:
    ana = make_user("ana@example.com", "Ana García")
    patient = make_patient(ana, "Rosa García")
    base = live_server.url
    browser_log_in(page, base, "ana@example.com")
    page.goto(base + reverse("patients:detail", args=[patient.pk]))
    page.get_by_role("link", name="Report for the doctor and exports").click()
    page.get_by_label("PDF report for the doctor").check()
    page.get_by_role("button", name="Make the export").click()
    expect(page.get_by_role("status").first).to_contain_text("The export is being made")
    expect(page.locator("#export-jobs")).to_contain_text("Waiting")

    work_tasks()  # the worker makes it; the page notices by itself
    link = page.locator("#export-jobs").get_by_role("link", name="Download")
    expect(link).to_be_visible(timeout=10_000)
    with page.expect_download() as download:
        link.click()
    saved = download.value
    assert saved.suggested_filename.endswith(".pdf")
    with open(saved.path(), "rb") as handle:
        assert handle.read(5) == b"%PDF-"
