"""In Chromium, the Content-Security-Policy blocks nothing our pages need: every
main page loads without a single violation."""

from __future__ import annotations

import pytest
from django.urls import reverse
from playwright.sync_api import Page

from accounts.models import User
from conftest import browser_log_in
from patients.models import Patient

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WATCH = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (event) =>
  window.__violations.push(`${event.violatedDirective} ${event.blockedURI}`));
"""


def pages(patient: Patient) -> list[str]:
    one = {"patient_id": patient.pk}
    return [
        reverse("dashboard:home"),
        reverse("patients:list"),
        reverse("patients:detail", kwargs=one),
        reverse("patients:edit", kwargs=one),
        reverse("medications:list", kwargs=one),
        reverse("medications:create", kwargs=one),
        reverse("measurements:overview", kwargs=one),
        reverse("measurements:trend", kwargs={**one, "type": "blood_pressure"}),
        reverse("journal:write", kwargs=one),
        reverse("journal:timeline", kwargs=one),
        reverse("files:list", kwargs=one),
        reverse("exports:list", kwargs=one),
        reverse("caregivers:team", kwargs=one),
        reverse("notifications:inbox"),
        reverse("appointments:calendar"),
        reverse("accounts:settings"),
    ]


def test_no_page_breaks_the_content_security_policy(
    live_server, page: Page, patient: Patient, primary: User
) -> None:
    page.add_init_script(WATCH)
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text))
    browser_log_in(page, live_server.url, primary.email)
    for path in pages(patient):
        response = page.goto(live_server.url + path)
        assert response is not None
        assert response.status == 200, path
        assert "script-src 'self'" in response.headers["content-security-policy"]
        page.wait_for_load_state("networkidle")
        assert page.evaluate("window.__violations") == [], path
    assert [error for error in errors if "Content Security Policy" in error] == []
