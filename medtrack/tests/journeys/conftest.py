"""Shared pieces of the user journeys (issue 17): every journey runs on a phone
and on a desktop screen, in a browser that lives in the patient's time zone."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.cache import cache
from playwright.sync_api import BrowserContext, expect

SCREENS = {
    "phone": {"width": 390, "height": 844},
    "desktop": {"width": 1280, "height": 800},
}


@pytest.fixture(params=list(SCREENS))
def screen(request: pytest.FixtureRequest) -> str:
    """``phone`` or ``desktop``: the journey runs once on each."""
    return request.param


@pytest.fixture
def browser_context_args(browser_context_args: dict[str, Any], screen: str) -> dict[str, Any]:
    # Every context of the test (the sibling's and the nurse's too) gets the same screen.
    return {
        **browser_context_args,
        "viewport": SCREENS[screen],
        "timezone_id": "Europe/Madrid",
        "locale": "en-GB",
    }


@pytest.fixture(autouse=True)
def _fresh_rate_limits() -> None:
    # Every journey signs people up at the same travelled-to hour, so the signup
    # limit's window (in the database cache, which a flush leaves) would carry over.
    cache.clear()


@pytest.fixture(autouse=True)
def _journey_settings(settings: Any) -> None:
    # The server travels through the hours of a day: nobody is signed out for idling
    # between two steps that are "hours apart" (a new morning still asks to log in).
    settings.SESSION_IDLE_MINUTES = 24 * 60


@pytest.fixture(autouse=True)
def _patient_expectations(context: BrowserContext) -> None:
    # A journey loads many pages on a busy two-core CI machine; a missing element
    # still fails in seconds, not after Playwright's 30.
    expect.set_options(timeout=10_000)
    context.set_default_timeout(15_000)
