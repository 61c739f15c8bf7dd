"""Journey 6: Ana's granddaughter joins as a viewer: she reads everything and can
change nothing (no buttons to do it, and a form sent by hand is refused);
a stranger sees nothing of Rosa (404 on each of her pages)."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from playwright.sync_api import Page, expect

from doses.models import Dose
from medtrack.rls import system_context
from medtrack.tests.journeys.steps import (
    NEXT_MORNING,
    accept_invitation,
    ana_and_rosa,
    invite,
    open_section,
    patient_id,
    shot,
    sign_up,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

#: What a control that changes something is called, on any of Rosa's pages.
WRITING = re.compile(
    r"^(Edit|Taken|Undo|Skip this dose|Give a dose now|Today's journal|Save.*|Upload.*"
    r"|Add .*|Record .*|Send invitation|Delete.*|Change.*)$"
)


def sections(patient_url: str) -> dict[str, str]:
    """Rosa's pages, by the name of their link on her page."""
    rosa = patient_id(patient_url)
    return {
        "Today's doses": reverse("doses:today", args=[rosa]),
        "Medications": reverse("medications:list", args=[rosa]),
        "Vital signs": reverse("measurements:overview", args=[rosa]),
        "Journal": reverse("journal:home", args=[rosa]),
        "Appointments": reverse("appointments:list", args=[rosa]),
        "Documents and photos": reverse("files:list", args=[rosa]),
        "Timeline": reverse("journal:timeline", args=[rosa]),
        "Care team": reverse("caregivers:team", args=[rosa]),
    }


def writes(patient_url: str, dose_id: str) -> dict[str, tuple[str, dict[str, str]]]:
    """Forms that change Rosa's record, as they would be sent: URL and fields."""
    rosa = patient_id(patient_url)
    return {
        "edit her profile": (
            reverse("patients:edit", args=[rosa]),
            {"name": "Someone else", "dob": "1944-05-17", "gender": "female"},
        ),
        "add a medication": (
            reverse("medications:create", args=[rosa]),
            {"name": "Aspirin", "dose_amount": "1", "dose_unit": "tablet"},
        ),
        "record a dose": (
            reverse("doses:record", args=[rosa, dose_id]),
            {"action": "taken"},
        ),
        "record a reading": (
            reverse("measurements:create", args=[rosa]) + "?type=heart_rate",
            {"type": "heart_rate", "value": "70"},
        ),
        "write the journal": (reverse("journal:write", args=[rosa]), {"notes": "Hello"}),
        "add an appointment": (
            reverse("appointments:create", args=[rosa]),
            {"title": "Dentist", "starts_at": "2026-12-20T10:00"},
        ),
        "invite someone": (
            reverse("caregivers:invite", args=[rosa]),
            {"email": "x@example.com", "role": "primary"},
        ),
        "delete her": (reverse("patients:delete", args=[rosa]), {}),
    }


def post(page: Page, base: str, url: str, fields: dict[str, str]) -> tuple[int, str]:
    """Send a form by hand with this browser's session and CSRF token: the status
    and the page (a refusal for the role, never for a missing token)."""
    token = page.locator("input[name=csrfmiddlewaretoken]").first.input_value()
    response = page.request.post(
        base + url,
        form={"csrfmiddlewaretoken": token, **fields},
        headers={"Referer": base + "/"},
        max_redirects=0,
    )
    assert "This form has expired" not in response.text()
    return response.status, response.text()


def test_a_viewer_reads_everything_and_changes_nothing_a_stranger_sees_nothing(
    live_server, page: Page, new_context, time_machine, screen: str
) -> None:
    time_machine.move_to(NEXT_MORNING)
    base = live_server.url
    patient_url = ana_and_rosa(page, base)
    invite(page, patient_url, "lola@example.com", "Viewer")
    page.goto(patient_url)  # what Ana may do, Lola will not see
    expect(page.get_by_role("button", name=WRITING).first).to_be_visible()

    lola = new_context().new_page()
    accept_invitation(lola, base, "lola@example.com", "Lola García")
    expect(lola.get_by_text("Lola García — Viewer (you)")).to_be_visible()
    expect(lola.get_by_text("Penicillin")).to_be_visible()
    expect(lola.get_by_role("button", name=WRITING)).to_have_count(0)
    expect(lola.get_by_role("link", name="Delete this patient")).to_have_count(0)
    shot(lola, "journey6-viewer-patient", screen)

    for name, url in sections(patient_url).items():
        open_section(lola, patient_url, name)
        expect(lola).to_have_url(base + url)
        expect(lola.get_by_role("heading", level=1)).to_be_visible()
        expect(lola.get_by_role("button", name=WRITING)).to_have_count(0)
        if name == "Today's doses":
            doses = lola.locator("ol.doses > li")
            expect(doses).to_have_count(2)
            expect(doses.first).to_contain_text("08:00")
            expect(doses.first).to_contain_text("Metformin 500 mg")
            dose_id = doses.first.get_attribute("id").removeprefix("dose-")
            shot(lola, "journey6-viewer-doses", screen)
        if name == "Medications":
            lola.get_by_role("link", name=re.compile("Metformin")).click()
            expect(lola.get_by_role("heading", level=1)).to_contain_text("Metformin")
            expect(lola.get_by_role("button", name=WRITING)).to_have_count(0)

    for what, (url, fields) in writes(patient_url, dose_id).items():
        status, answer = post(lola, base, url, fields)
        assert status == 403, f"a viewer could {what}"
        assert "You cannot do that here" in answer

    # Charlie has his own account and nothing to do with Rosa.
    charlie = new_context().new_page()
    sign_up(charlie, base, "Charlie Stranger", "charlie@example.com")
    for url in [patient_url.removeprefix(base), *sections(patient_url).values()]:
        response = charlie.goto(base + url)
        assert response.status == 404, url
    expect(charlie.get_by_role("heading", name="Page not found")).to_be_visible()
    shot(charlie, "journey6-stranger-not-found", screen)
    for what, (url, fields) in writes(patient_url, dose_id).items():
        assert post(charlie, base, url, fields)[0] == 404, f"a stranger could {what}"
    charlie.goto(f"{base}/")
    expect(charlie.get_by_text("Rosa García")).to_have_count(0)

    with system_context("test: the journey's outcome"):
        rosa = patient_id(patient_url)
        assert Dose.objects.get(pk=dose_id).status == "pending"
        assert Dose.objects.filter(patient_id=rosa).exclude(status="pending").count() == 0
        assert Dose.objects.filter(patient_id=rosa).values("medication").distinct().count() == 1
