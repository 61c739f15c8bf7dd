"""Every page, in Chromium, on a phone (360 px) and a desktop (1280 px), with a
patient's data and in the empty state: axe-core (WCAG 2.0/2.1 A and AA) finds
nothing serious or critical. On the phone nothing scrolls sideways, every
control in the main content is big enough to tap, a skip link comes first and
shows when focused, and focus is always visible. In dark mode the key pages
keep their contrast.

The pages come from the URLconf (as in test_url_walk): a URL added later fails
here until it is either visited (``PAGES``) or excused with a reason
(``NOT_PAGES``). A failure prints each rule, its impact and the elements, so it
can be fixed where it is.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.tokens import default_token_generator
from django.core import mail
from django.urls import get_resolver, reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from playwright.sync_api import Browser, Page

from accounts.models import User
from appointments.models import Appointment
from caregivers import services as caregivers
from caregivers.models import CaregiverInvitation, PatientCaregiver
from conftest import PASSWORD, as_member, make_patient
from files.models import FileShare
from journal.models import DailyLog
from measurements.models import Measurement
from medications.models import Medication, MedicationSchedule
from medtrack.rls import acting_as, system_context
from medtrack.tests.test_url_walk import walk
from patients.access import Area
from patients.models import Patient

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AXE = (Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js").read_text()
WCAG = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
BLOCKING = {"serious", "critical"}
PHONE = {"width": 360, "height": 800}
DESKTOP = {"width": 1280, "height": 800}

#: Pages visited. ``anonymous`` ones before logging in; ``empty`` ones also in the
#: empty state (a caregiver whose only patient has nothing recorded yet).
ANONYMOUS = [
    "accounts:login",
    "accounts:signup",
    "accounts:password_reset",
    "accounts:password_reset_done",
    "accounts:password_reset_confirm",
    "accounts:password_reset_complete",
    "accounts:goodbye",
    "caregivers:invitation",
]
SIGNED_IN = [
    "dashboard:home",
    "dashboard:analytics",
    "patients:list",
    "patients:create",
    "patients:deleted",
    "patients:detail",
    "patients:edit",
    "patients:delete",
    "doses:today",
    "doses:history",
    "medications:list",
    "medications:create",
    "medications:detail",
    "medications:edit",
    "medications:schedule_create",
    "medications:schedule_edit",
    "medications:taper",
    "measurements:overview",
    "measurements:create",
    "measurements:edit",
    "measurements:delete",
    "measurements:trend",
    "measurements:target",
    "journal:home",
    "journal:write",
    "journal:delete",
    "journal:timeline",
    "appointments:list",
    "appointments:create",
    "appointments:detail",
    "appointments:edit",
    "appointments:outcome",
    "appointments:delete",
    "appointments:calendar",
    "appointments:feeds",
    "files:list",
    "files:upload",
    "files:detail",
    "files:delete",
    "files:shared",
    "files:shared_detail",
    "caregivers:team",
    "caregivers:member",
    "caregivers:leave",
    "notifications:inbox",
    "notifications:preferences",
    "accounts:settings",
    "accounts:password_change",
    "accounts:password_change_done",
    "accounts:two_factor_setup",
    "accounts:delete",
    "sync:devices",
    "exports:list",
    "audit:activity",
]
#: Pages that show something else when there is nothing yet (forms look the same).
EMPTY = [
    "dashboard:home",
    "dashboard:analytics",
    "patients:list",
    "patients:deleted",
    "patients:detail",
    "doses:today",
    "doses:history",
    "medications:list",
    "measurements:overview",
    "measurements:trend",
    "journal:home",
    "journal:timeline",
    "appointments:list",
    "appointments:calendar",
    "appointments:feeds",
    "files:list",
    "files:shared",
    "files:shared_detail",
    "caregivers:team",
    "notifications:inbox",
    "sync:devices",
    "exports:list",
    "audit:activity",
]
#: Seen only by the person a file was shared with (in the empty state, Nora).
SHARED_WITH_ME = {"files:shared_detail"}
PAGES = set(ANONYMOUS) | set(SIGNED_IN)

#: Routes that are not pages of their own, with the reason.
NOT_PAGES = {
    "dashboard:floor": "the benchmark's floor view, not a page people use",
    "accounts:logout": "POST only",
    "set_language": "POST only (the form is in the footer before signing in)",
    "accounts:avatar_upload": "POST only (the form is on Settings)",
    "accounts:avatar_remove": "POST only (the form is on Settings)",
    "accounts:avatar": "an image",
    "accounts:session_keepalive": "JSON for session.js",
    "accounts:session_draft": "JSON for session.js",
    "accounts:two_factor_verify": "needs a sign-in half done (test_browser_two_factor)",
    "accounts:two_factor_backup_codes": "needs two-step sign-in on (test_browser_two_factor)",
    "accounts:two_factor_disable": "needs two-step sign-in on (test_browser_two_factor)",
    "accounts:data_download": "a JSON attachment",
    "patients:restore": "POST only (the form is on Deleted patients)",
    "caregivers:invite": "POST only (the form is on the team page)",
    "caregivers:invitation_resend": "POST only",
    "caregivers:invitation_revoke": "POST only",
    "caregivers:member_remove": "POST only",
    "caregivers:invitation_accept": "POST only",
    "caregivers:invitation_decline": "POST only",
    "medications:status": "POST only",
    "medications:schedule_end": "POST only",
    "doses:record": "POST only (htmx swaps the dose row)",
    "doses:give_now": "POST only",
    "appointments:status": "POST only",
    "appointments:ics": "an iCalendar file",
    "appointments:feed": "an iCalendar feed",
    "appointments:feed_revoke": "POST only",
    "notifications:read_all": "POST only",
    "notifications:open": "POST only",
    "notifications:go": "a redirect to what the notification is about",
    "files:share": "POST only (the form is on the file's page)",
    "files:share_revoke": "POST only",
    "files:download": "the file itself",
    "files:view": "the file itself",
    "files:thumbnail": "an image",
    "files:shared_download": "the file itself",
    "files:shared_view": "the file itself",
    "files:shared_thumbnail": "an image",
    "exports:jobs": "an htmx fragment of Exports (checked there)",
    "exports:download": "the PDF or CSV itself",
    "sync:changes": "the sync API (JSON)",
    "sync:push": "the sync API (JSON)",
    "sync:device_revoke": "POST only",
    "sync:openapi": "the API's description (JSON)",
    "healthz": "for load balancers (text)",
}
ADMIN = "admin:"  # Django's own admin, for staff on a desktop: not ours to restyle.

#: Pages where the dark theme's contrast is checked.
DARK = [
    "accounts:login",
    "dashboard:home",
    "doses:today",
    "medications:list",
    "measurements:overview",
    "measurements:trend",
    "journal:timeline",
    "appointments:calendar",
    "notifications:inbox",
    "audit:activity",
]


# -- What runs in the page ---------------------------------------------------------

RUN_AXE = """async ({tags, rules}) => {
  const options = {resultTypes: ["violations"]};
  options.runOnly = rules ? {type: "rule", values: rules} : {type: "tag", values: tags};
  const result = await axe.run(document, options);
  return result.violations.map((v) => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.map((n) => ({target: n.target.join(" "), summary: n.failureSummary})),
  }));
}"""

#: Layout on a phone: sideways scrolling and tap targets in the main content.
LAYOUT = """() => {
  const problems = [];
  const root = document.scrollingElement;
  const describe = (el) => {
    let text = (el.getAttribute("aria-label") || el.textContent || el.value || "").trim();
    text = text.replace(/\\s+/g, " ").slice(0, 40);
    const id = el.id ? "#" + el.id : "";
    const cls = el.className && typeof el.className === "string"
      ? "." + el.className.trim().split(/\\s+/).join(".") : "";
    const type = el.type && el.tagName === "INPUT" ? `[type=${el.type}]` : "";
    return `${el.tagName.toLowerCase()}${id}${cls}${type} "${text}"`;
  };
  if (root.scrollWidth > root.clientWidth) {
    const wide = [...document.body.querySelectorAll("*")].filter((el) => {
      const box = el.getBoundingClientRect();
      return box.width > 0 && box.right > root.clientWidth + 1;
    }).filter((el, _, all) => !all.some((other) => other !== el && el.contains(other)));
    problems.push(`scrolls sideways: ${root.scrollWidth} > ${root.clientWidth} px; `
      + `too wide: ${wide.slice(0, 5).map(describe).join(", ")}`);
  }
  const visible = (el) => {
    const box = el.getBoundingClientRect();
    return el.checkVisibility({visibilityProperty: true, opacityProperty: true})
      && box.width > 1 && box.height > 1;
  };
  // A link inside a sentence may be as tall as its line (WCAG 2.5.8's inline exception).
  const inText = (el) => {
    if (el.tagName !== "A" || getComputedStyle(el).display !== "inline") return false;
    let block = el.parentElement;
    while (block && getComputedStyle(block).display === "inline") block = block.parentElement;
    const all = block.textContent.replace(/\\s+/g, "");
    const links = [...block.querySelectorAll("a, button")]
      .map((a) => a.textContent.replace(/\\s+/g, "")).join("");
    return all.length > links.length;
  };
  const tall = (el) => el.getBoundingClientRect().height >= 43.5;
  const main = document.querySelector("main");
  for (const el of main.querySelectorAll(
      "a[href], button, input:not([type=hidden]), select, textarea, summary")) {
    if (!visible(el) || tall(el) || inText(el)) continue;
    // A checkbox or radio is tapped through its label.
    if (el.labels && el.labels.length && [...el.labels].some(tall)) continue;
    const height = Math.round(el.getBoundingClientRect().height);
    problems.push(`tap target ${height} px high: ${describe(el)}`);
  }
  return problems;
}"""

#: Focus: the skip link first and shown; every focusable control shows its focus.
FOCUS = """() => {
  const problems = [];
  const skip = document.querySelector("a.skip-link");
  if (!skip) return ["no skip link"];
  const stops = [...document.querySelectorAll("a[href], button, input, select, textarea, summary, [tabindex]")]
    .filter((el) => el.tabIndex >= 0 && !el.disabled && el.type !== "hidden");
  if (stops.some((el) => el.tabIndex > 0)) problems.push("a positive tabindex reorders the page");
  if (stops[0] !== skip) problems.push(`first Tab stop is ${stops[0].outerHTML.slice(0, 80)}, not the skip link`);
  // A page that puts the cursor in its form (autofocus) starts there; otherwise Tab went first.
  if (document.activeElement !== skip) skip.focus();
  const target = document.querySelector(skip.getAttribute("href"));
  if (!target || target.tagName !== "MAIN") problems.push("the skip link does not lead to <main>");
  const box = skip.getBoundingClientRect();
  if (!(box.left >= 0 && box.top >= 0 && box.width > 1 && box.height >= 24
        && box.right <= innerWidth && skip.checkVisibility())) {
    problems.push(`the focused skip link is not on screen: ${JSON.stringify(box)}`);
  }
  const shows = (el) => {
    const style = getComputedStyle(el);
    return (style.outlineStyle !== "none" && parseFloat(style.outlineWidth) > 0)
      || (style.boxShadow && style.boxShadow !== "none");
  };
  const candidates = document.querySelectorAll(
    "a[href], button, input:not([type=hidden]), select, textarea, summary");
  for (const el of candidates) {
    if (!el.checkVisibility() || el.tabIndex < 0 || el.disabled) continue;
    el.focus({preventScroll: true});
    if (document.activeElement !== el) continue;
    const hidden = el.getBoundingClientRect().width <= 1;  // a radio styled through its label
    const shown = hidden ? [...(el.labels || [])].some(shows) : shows(el);
    if (!el.matches(":focus-visible") || !shown) {
      problems.push(`focus not visible: ${el.outerHTML.slice(0, 100)}`);
    }
  }
  // axe then sees the page at rest, not with the last control focused.
  document.activeElement.blur();
  return problems;
}"""


# -- The data ---------------------------------------------------------------------------


@dataclass
class State:
    """Who is signed in and the values for each URL parameter."""

    name: str
    email: str
    params: dict[str, Any]
    pages: list[str] = field(default_factory=list)

    def url(self, route_name: str) -> str | None:
        route = ROUTES[route_name]
        if any(param not in self.params for param in route.params):
            return None
        return reverse(route_name, kwargs={p: self.params[p] for p in route.params})


ROUTES = {route.name: route for route in walk(get_resolver().url_patterns)}


def with_data(patient: Patient, primary: User) -> State:
    """Alice and Rosa's full record (conftest's ``patient``)."""
    with system_context("test"):
        medication = Medication.objects.filter(patient=patient).get()
        params = {
            "patient_id": patient.pk,
            "medication_id": medication.pk,
            "schedule_id": MedicationSchedule.objects.filter(medication=medication).get().pk,
            "measurement_id": Measurement.objects.filter(patient=patient).first().pk,
            "type": "blood_pressure",
            "log_id": DailyLog.objects.filter(patient=patient).first().pk,
            "appointment_id": Appointment.objects.filter(patient=patient).get().pk,
            "file_id": FileShare.objects.get(shared_with__email="nora@example.com").file_id,
            "member_id": PatientCaregiver.objects.filter(patient=patient, role="secondary")
            .get()
            .pk,
        }
    pages = [name for name in SIGNED_IN if name not in SHARED_WITH_ME]
    return State("with data", primary.email, params, pages)


def empty(patient: Patient) -> State:
    """Nora: her own patient with nothing recorded yet, and a photo Rosa's family
    shared with her (the only way to reach "Shared with me")."""
    nora = User.objects.get(email="nora@example.com")
    newcomer = make_patient(nora, "Pilar Empty", allergies=[], medical_conditions=[])
    with system_context("test"):
        shared = FileShare.objects.get(shared_with=nora).file_id
    params = {"patient_id": newcomer.pk, "file_id": shared, "type": "blood_pressure"}
    return State("empty", nora.email, params, EMPTY)


def anonymous(patient: Patient, primary: User) -> State:
    invitation = re.search(r"/invitations/([^/\s]+)/", _invite_again(patient, primary)).group(1)
    params = {
        "uidb64": urlsafe_base64_encode(force_bytes(primary.pk)),
        "token": default_token_generator.make_token(primary),
    }
    # Two routes share the name ``token``: the invitation's is filled in below.
    return State("anonymous", "", {**params, "invitation": invitation}, ANONYMOUS)


def _invite_again(patient: Patient, primary: User) -> str:
    """Nina's invitation link (its token is only ever in the e-mail)."""
    with system_context("test"):
        invitation = CaregiverInvitation.objects.get(email="nina@example.com")
    with acting_as(primary.pk):
        caregivers.invitation_resend(
            patient=as_member(primary, patient, Area.CAREGIVERS),
            actor=primary,
            invitation=invitation,
        )
    return str(mail.outbox[-1].body)


# -- The checks ---------------------------------------------------------------------


@dataclass
class Findings:
    """Every problem on every page, reported together at the end."""

    blocking: list[str] = field(default_factory=list)
    minor: list[str] = field(default_factory=list)
    visited: int = 0

    def axe(
        self, where: str, violations: list[dict[str, Any]], *, all_block: bool = False
    ) -> None:
        for violation in violations:
            nodes = "; ".join(node["target"] for node in violation["nodes"][:8])
            more = len(violation["nodes"]) - 8
            line = (
                f"{where}: {violation['id']} ({violation['impact']}) {violation['help']} "
                f"-- {nodes}{f' (+{more} more)' if more > 0 else ''}"
            )
            if all_block or violation["impact"] in BLOCKING:
                self.blocking.append(line)
                first = violation["nodes"][0]["summary"].replace("\n", " ")
                self.blocking.append(f"    first: {first}")
            else:
                self.minor.append(line)

    def report(self) -> str:
        return "\n".join(self.blocking)


def axe(page: Page, *, rules: list[str] | None = None) -> list[dict[str, Any]]:
    return page.evaluate(RUN_AXE, {"tags": WCAG, "rules": rules})


def log_in(page: Page, email: str) -> None:
    page.context.clear_cookies()
    page.goto("/accounts/login/")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(lambda url: "/accounts/login/" not in url)


def visit(page: Page, state: State, findings: Findings) -> None:
    for name in state.pages:
        if name == "caregivers:invitation":
            path: str | None = reverse(name, kwargs={"token": state.params["invitation"]})
        else:
            path = state.url(name)
        assert path is not None, f"{state.name}: no value for a parameter of {name}"
        check(page, f"{state.name} {name} {path}", path, findings, dark=name in DARK)
    check(page, f"{state.name} 404", "/no-such-page/", findings, status=404)


def check(
    page: Page, where: str, path: str, findings: Findings, *, dark: bool = False, status: int = 200
) -> None:
    """One load of the page, checked as a phone shows it, then as a desktop (the same
    document resized: media queries apply afresh, and the page is fetched once)."""
    page.set_viewport_size(PHONE)
    response = page.goto(path)
    assert response is not None
    if response.status != status:
        findings.blocking.append(f"{where}: answered {response.status}, not {status}")
        return
    findings.visited += 1
    findings.axe(f"phone {where}", axe(page))
    page.keyboard.press("Tab")
    for problem in page.evaluate(FOCUS) + page.evaluate(LAYOUT):
        findings.blocking.append(f"phone {where}: {problem}")
    if dark:
        page.emulate_media(color_scheme="dark")
        contrast = axe(page, rules=["color-contrast"])
        findings.axe(f"dark {where}", contrast, all_block=True)
        page.emulate_media(color_scheme="light")
    page.set_viewport_size(DESKTOP)
    findings.axe(f"desktop {where}", axe(page))


# -- The tests ---------------------------------------------------------------------------


def test_every_page_is_checked_or_excused() -> None:
    names = set(ROUTES)
    unknown = (PAGES | set(NOT_PAGES) | set(DARK) | set(EMPTY)) - names
    assert not unknown, f"names that no longer exist: {sorted(unknown)}"
    assert set(EMPTY) <= PAGES
    assert set(DARK) <= PAGES
    both = PAGES & set(NOT_PAGES)
    assert not both, f"both visited and excused: {sorted(both)}"
    missing = sorted(n for n in names - PAGES - set(NOT_PAGES) if not n.startswith(ADMIN))
    assert not missing, (
        "pages the accessibility walk does not visit: add them to PAGES (or to NOT_PAGES "
        f"with the reason): {missing}"
    )


def test_every_page_passes_axe_on_a_phone_and_a_desktop_and_fits_a_phone(
    live_server, browser: Browser, patient: Patient, primary: User
) -> None:
    states = [anonymous(patient, primary), with_data(patient, primary), empty(patient)]
    findings = Findings()
    context = browser.new_context(
        base_url=live_server.url, viewport=PHONE, reduced_motion="reduce", color_scheme="light"
    )
    # axe goes in through the DevTools protocol, which the page's CSP does not govern,
    # so the pages are checked under their real policy.
    context.add_init_script(AXE)
    page = context.new_page()
    for state in states:
        if state.email:
            log_in(page, state.email)
        visit(page, state, findings)
    context.close()
    if findings.minor:
        print("\nModerate and minor (not failing):\n" + "\n".join(findings.minor))  # noqa: T201
    assert findings.visited > 80
    assert not findings.blocking, "\n" + findings.report()
