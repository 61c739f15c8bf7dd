"""What a caregiver does in the browser, step by step, for the journeys.

Everything here goes through the pages (no ORM): the journeys prove that a
person can do it with the screens as they are.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core import mail
from playwright.sync_api import Locator, Page, expect

from conftest import PASSWORD

MADRID = ZoneInfo("Europe/Madrid")
SCREENSHOTS = Path(settings.BASE_DIR) / "docs" / "screenshots"
# Sunday 13 December 2026: the first evening; the next morning is a Monday.
FIRST_EVENING = dt.datetime(2026, 12, 13, 19, 40, tzinfo=MADRID)
NEXT_MORNING = dt.datetime(2026, 12, 14, 8, 40, tzinfo=MADRID)


def shot(page: Page, name: str, screen: str) -> None:
    """A screenshot for docs/screenshots (what fits on the screen, so files stay small)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / f"{name}-{screen}.png", full_page=False)


def is_focused(target: Locator) -> bool:
    return target.evaluate("element => element === document.activeElement")


def tab_to(page: Page, target: Locator, *, limit: int = 80) -> None:
    """Press Tab until ``target`` has the focus, as someone without a mouse does."""
    target.wait_for()
    for _ in range(limit):
        if is_focused(target):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"{target} is not reachable with Tab within {limit} presses")


def sign_up(page: Page, base: str, name: str, email: str, *, keyboard: bool = False) -> None:
    """Sign up from the home page (the login page it leads to links to signing up)."""
    page.goto(f"{base}/")
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    if keyboard:
        tab_to(page, page.get_by_role("link", name="Create an account"))
        page.keyboard.press("Enter")
        expect(page.get_by_role("heading", name="Create your account")).to_be_visible()
        for label, text in (
            (page.get_by_label("Your name"), name),
            (page.get_by_label("E-mail"), email),
            (page.get_by_label("Password", exact=True), PASSWORD),
            (page.get_by_label("Password confirmation"), PASSWORD),
        ):
            tab_to(page, label)
            page.keyboard.type(text)
        # The time zone is preselected from the browser's.
        expect(page.get_by_label("Time zone")).to_have_value("Europe/Madrid")
        page.keyboard.press("Enter")  # sends the form from the last field
    else:
        page.get_by_role("link", name="Create an account").click()
        page.get_by_label("Your name").fill(name)
        page.get_by_label("E-mail").fill(email)
        page.get_by_label("Password", exact=True).fill(PASSWORD)
        page.get_by_label("Password confirmation").fill(PASSWORD)
        page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("status")).to_contain_text(f"Welcome to MedTrack, {name}.")


def log_in(page: Page, base: str, email: str, *, keyboard: bool = False) -> None:
    page.goto(f"{base}/accounts/login/")
    if keyboard:
        tab_to(page, page.get_by_label("E-mail"))
        page.keyboard.type(email)
        page.keyboard.press("Tab")
        expect(page.get_by_label("Password")).to_be_focused()
        page.keyboard.type(PASSWORD)
        page.keyboard.press("Enter")
    else:
        page.get_by_label("E-mail").fill(email)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("link", name="Today", exact=True)).to_be_visible()


def log_out(page: Page) -> None:
    page.get_by_label("Account menu").click()
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_label("E-mail")).to_be_visible()


def add_patient(page: Page, name: str = "Rosa García") -> str:
    """Add the patient from the empty dashboard; the patient page's URL."""
    page.get_by_role("link", name="Today", exact=True).click()
    page.get_by_role("button", name="Add a patient").click()
    page.get_by_label("Full name").fill(name)
    page.get_by_label("Date of birth").fill("1944-05-17")
    page.get_by_label("Female").check()
    page.get_by_role("textbox", name="Allergy 1", exact=True).fill("Penicillin")
    page.get_by_role("button", name="+ Add another").first.click()
    page.get_by_role("textbox", name="Allergy 2", exact=True).fill("Shellfish")
    page.get_by_role("textbox", name="Condition 1", exact=True).fill("Type 2 diabetes")
    page.get_by_role("button", name="+ Add another").nth(1).click()
    page.get_by_role("textbox", name="Condition 2", exact=True).fill("High blood pressure")
    page.get_by_label("Emergency contact: name").fill("Lucía García")
    page.get_by_label("Emergency contact: phone").fill("+34 612 345 678")
    page.get_by_label("Emergency contact: relationship").fill("Daughter")
    page.get_by_label("Time zone where they live").select_option("Europe/Madrid")
    page.get_by_role("button", name="Add patient").click()
    expect(page.get_by_role("heading", name=name, level=1)).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text("You are their primary caregiver")
    return re.sub(r"[?#].*$", "", page.url)


def _new_medication(
    page: Page, patient_url: str, name: str, strength: str, *, as_needed: int | None = None
) -> None:
    open_section(page, patient_url, "Medications")
    page.get_by_role("button", name="Add a medication").click()
    page.get_by_label("Name", exact=True).fill(name)
    page.get_by_label("Strength").fill(strength)
    page.get_by_label("Dose", exact=True).fill("1")
    if as_needed is not None:
        page.get_by_label("As needed").check()
        page.get_by_label("At most, per 24 hours").fill(str(as_needed))
        page.get_by_role("button", name="Save and choose when").click()
        expect(page.get_by_role("status")).to_contain_text(name)
        return
    page.get_by_role("button", name="Save and choose when").click()
    expect(page.get_by_role("heading", name=f"When is {name} taken?")).to_be_visible()


def add_daily_medication(
    page: Page, patient_url: str, name: str, strength: str, times: list[str]
) -> None:
    _new_medication(page, patient_url, name, strength)
    page.get_by_label("Every day").check()
    for number, time in enumerate(times, start=1):
        if number > 1:
            page.get_by_role("button", name="+ Add another").click()
        page.get_by_role("textbox", name=f"Time {number}", exact=True).fill(time)
    page.get_by_role("button", name="Save schedule").click()
    expect(page.get_by_role("status")).to_contain_text("Schedule saved")


def add_weekday_medication(
    page: Page, patient_url: str, name: str, strength: str, time: str
) -> None:
    _new_medication(page, patient_url, name, strength)
    page.get_by_label("On chosen weekdays").check()
    for day in ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday"):
        page.get_by_label(day).check()
    page.get_by_role("textbox", name="Time 1", exact=True).fill(time)
    page.get_by_role("button", name="Save schedule").click()
    expect(page.get_by_role("status")).to_contain_text("Schedule saved")


def add_as_needed_medication(
    page: Page, patient_url: str, name: str, strength: str, per_day: int
) -> None:
    _new_medication(page, patient_url, name, strength, as_needed=per_day)


def add_taper(
    page: Page,
    patient_url: str,
    name: str,
    strength: str,
    first_day: dt.date,
    steps: list[tuple[str, str]],
) -> None:
    _new_medication(page, patient_url, name, strength)
    page.get_by_role("link", name="Enter a taper instead").click()
    page.get_by_label("First day").fill(first_day.isoformat())
    page.get_by_role("textbox", name="Time 1", exact=True).fill("08:00")
    for step, (amount, days) in enumerate(steps, start=1):
        page.get_by_label(f"Step {step}: dose").fill(amount)
        page.get_by_label(f"Step {step}: for how many days").fill(days)
    page.get_by_role("button", name="Show the plan").click()
    expect(page.get_by_role("region", name="The plan").get_by_role("listitem")).to_have_count(
        len(steps)
    )
    page.get_by_role("button", name="Save taper").click()
    expect(page.get_by_role("status")).to_contain_text("The taper is saved")


def invitation_link(email: str) -> str:
    """The path of the invitation link in the last e-mail to ``email``."""
    message = next(m for m in reversed(mail.outbox) if email in m.to)
    return re.search(r"https?://[^/\s]+(/invitations/\S+/)", message.body).group(1)


def patient_id(patient_url: str) -> str:
    return re.search(r"/patients/([0-9a-f-]{36})/", patient_url).group(1)


def first_evening(page: Page, base: str) -> str:
    """Journey 1 without its pictures: Ana signs up and sets up Rosa's four
    medications on Sunday evening; Rosa's page URL."""
    sign_up(page, base, "Ana García", "ana@example.com")
    patient_url = add_patient(page)
    add_daily_medication(page, patient_url, "Metformin", "500 mg", ["08:00", "20:00"])
    add_weekday_medication(page, patient_url, "Lisinopril", "10 mg", "08:00")
    add_as_needed_medication(page, patient_url, "Paracetamol", "500 mg", per_day=1)
    monday = FIRST_EVENING.date() + dt.timedelta(days=1)
    add_taper(page, patient_url, "Prednisone", "5 mg", monday, [("2", "3"), ("1", "3")])
    return patient_url


def open_section(page: Page, patient_url: str, name: str) -> None:
    """From the patient's page, one of its sections (Medications, Vital signs…)."""
    page.goto(patient_url)
    page.get_by_role("navigation", name="Sections").get_by_role("link", name=name).click()


def ana_and_rosa(page: Page, base: str) -> str:
    """Ana signs up and adds Rosa with Metformin at 08:00 and 20:00; Rosa's page URL."""
    sign_up(page, base, "Ana García", "ana@example.com")
    patient_url = add_patient(page)
    add_daily_medication(page, patient_url, "Metformin", "500 mg", ["08:00", "20:00"])
    return patient_url


def invite(page: Page, patient_url: str, email: str, role: str) -> None:
    """From Rosa's Care team page, invite ``email`` as ``role`` (its label)."""
    open_section(page, patient_url, "Care team")
    page.get_by_label("Their e-mail").fill(email)
    page.get_by_label(role, exact=True).check()
    page.get_by_role("button", name="Send invitation").click()
    expect(page.get_by_role("status")).to_contain_text(f"Invitation sent to {email}")


def accept_invitation(page: Page, base: str, email: str, name: str) -> None:
    """Open the link in the e-mail, sign up from it and accept."""
    page.goto(base + invitation_link(email))
    expect(page.get_by_role("heading", level=1)).to_contain_text(
        "Ana García invited you to help care for Rosa García"
    )
    page.get_by_role("button", name="Create an account").click()
    page.get_by_label("Your name").fill(name)
    expect(page.get_by_label("E-mail")).to_have_value(email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Password confirmation").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    page.get_by_role("button", name="Accept").click()
    expect(page.get_by_role("heading", name="Rosa García", level=1)).to_be_visible()
