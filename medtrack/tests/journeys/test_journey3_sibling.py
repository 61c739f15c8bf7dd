"""Journey 3: Ana invites her brother as a caregiver; he accepts from the e-mail;
both see the same doses; both press Taken on the same dose at once, in their
own browsers, and one record results."""

from __future__ import annotations

import pytest
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
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_sibling_joins_and_a_dose_pressed_twice_is_recorded_once(
    live_server, page: Page, new_context, time_machine, screen: str
) -> None:
    time_machine.move_to(NEXT_MORNING)  # Monday, 08:40: the 08:00 dose is due
    base = live_server.url
    patient_url = ana_and_rosa(page, base)

    invite(page, patient_url, "ben@example.com", "Caregiver")
    expect(page.get_by_role("region", name="Invitations waiting for an answer")).to_contain_text(
        "ben@example.com"
    )
    shot(page, "journey3-invitation", screen)

    ben = new_context().new_page()
    accept_invitation(ben, base, "ben@example.com", "Ben García")
    expect(ben.get_by_text("Ben García — Caregiver (you)")).to_be_visible()
    shot(ben, "journey3-sibling-joined", screen)

    # The same doses for both, on the dashboard and on Rosa's day.
    due = {}
    for who in (page, ben):
        who.get_by_role("link", name="Today", exact=True).click()
        due[who] = who.get_by_role("region", name="Due now").get_by_role("listitem")
        expect(due[who]).to_have_count(1)
        expect(due[who]).to_contain_text("08:00")
        expect(due[who]).to_contain_text("Rosa García · Metformin 500 mg · 1 tablet")
        open_section(who, patient_url, "Today's doses")
    rows = {who: who.locator("ol.doses > li") for who in (page, ben)}
    expect(rows[page]).to_have_count(2)
    expect(rows[ben]).to_have_count(2)
    assert rows[page].all_inner_texts() == rows[ben].all_inner_texts()

    # Both press Taken on the 08:00 dose, one right after the other, before
    # either page has heard back.
    rows[page].first.get_by_role("button", name="Taken").click()
    rows[ben].first.get_by_role("button", name="Taken").click()
    for who in (page, ben):
        expect(rows[who].first).to_contain_text("Taken")
        expect(rows[who].first.get_by_role("button", name="Undo")).to_be_visible()

    with system_context("test: the journey's outcome"):
        (dose,) = Dose.objects.filter(
            patient_id=patient_id(patient_url), scheduled_for=NEXT_MORNING.replace(minute=0)
        ).select_related("recorded_by")
        assert dose.status == "taken"
        taken = Dose.pgh_event_model.objects.filter(pgh_obj_id=dose.pk, status="taken")
        assert taken.count() == 1
    first = dose.recorded_by.name
    second = ben if first == "Ana García" else page
    expect(rows[second].first.get_by_role("alert")).to_have_text(
        f"Already recorded by {first} at 08:40."
    )
    for who in (page, ben):
        expect(rows[who].first).to_contain_text(f"by {first} at 08:40")
    shot(second, "journey3-recorded-once", screen)
