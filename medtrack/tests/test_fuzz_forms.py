"""Every form, fuzzed: hostile text, huge numbers, wrong types, missing fields. Never a 500.

The routes come from the URLconf (each one under a patient, the account and
settings pages, and the public sign-up and log-in forms), so a new form is
fuzzed without editing this file. Field names are read from the rendered page
that holds the form (the route's own page, or the nearest page above it whose
form posts there); each POST is a dictionary of some of those names with
values mixing what the page offers and what an attacker or a broken client
sends. Responses are checked by status code (the client does not re-raise:
``templates/500.html`` is what a person would see), and the database context
rolls back anything a 500 would have half-written.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from django.urls import reverse
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from accounts.models import ApiToken, User
from appointments.models import Appointment
from caregivers.models import CaregiverInvitation, PatientCaregiver
from conftest import Client
from doses.models import Dose
from exports.models import ExportJob
from files.models import File, FileShare
from journal.models import DailyLog
from measurements.models import Measurement
from medications.models import Medication, MedicationSchedule
from medtrack.rls import system_context
from medtrack.tests.pageforms import forms_on
from medtrack.tests.test_url_walk import FILLERS, ROUTES, Route
from notifications.models import Notification
from patients.models import Patient

pytestmark = pytest.mark.django_db

#: Signed-in pages outside a patient's path that hold forms (by route name).
SIGNED_IN_PREFIXES = (
    "patients:",
    "accounts:",
    "notifications:",
    "appointments:feed",
    "appointments:calendar",
    "sync:device",
    "files:shared",
)
#: Public forms, fuzzed as an anonymous visitor.
PUBLIC_FORMS = {"accounts:signup", "accounts:login", "accounts:password_reset"}
#: Not fuzzed, and why.
SKIPPED = {
    "accounts:logout": "signs the fuzzer out; it has no fields",
    "accounts:password_reset_confirm": "public, reached by an e-mailed token (accounts tests)",
    "accounts:avatar": "an image, no form",
    "appointments:feed": "a calendar file read by token, no form",
}

FUZZED = [
    route
    for route in ROUTES
    if route.name not in SKIPPED
    and (
        route.under_a_patient
        or route.name.startswith(SIGNED_IN_PREFIXES)
        or route.name in PUBLIC_FORMS
    )
]

HOSTILE = [
    "",
    " ",
    "\x00",
    "a\x00b",
    "Ana\x00'; DROP TABLE patients; --",
    "\u202eevil\u202c",
    "\u200f\u05e9\u05dc\u05d5\u05dd",
    "😀" * 40,
    "Z̵̡̛a̷l̶g̸o̴",
    "x" * 10_000,
    "' OR 1=1 --",
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "{{ 7*7 }}{% debug %}",
    "1e308",
    "-1e308",
    "1e-400",
    "-0",
    "NaN",
    "Infinity",
    "-Infinity",
    str(10**100),
    "-9223372036854775809",
    "99999999999999999999",
    "2147483648",
    "-1",
    "0",
    "0.0000001",
    "0000-00-00",
    "9999-12-31",
    "9999-12-31T23:59",
    "0001-01-01T00:00",
    "2026-02-30",
    "2026-03-29T02:30",
    "25:61",
    "24:00",
    "null",
    "[]",
    "{}",
    "true",
    str(uuid.UUID(int=0)),
    "../../etc/passwd",
    "%00",
    "\ud800".encode("utf-8", "surrogatepass").decode("utf-8", "replace"),
]

scalars = st.one_of(
    st.sampled_from(HOSTILE),
    st.text(max_size=40),
    st.integers().map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.dates().map(str),
)


def _values(offered: list[str]) -> st.SearchStrategy[Any]:
    one = st.one_of(st.sampled_from(offered), scalars) if offered else scalars
    return st.one_of(one, st.lists(one, min_size=2, max_size=3))


def _first(model: Any, **filters: Any) -> Any:
    with system_context("fuzz"):
        return model.objects.filter(**filters).order_by("pk").first()


def _url(route: Route, patient: Patient, primary: User, secondary: User) -> str:
    """The route for real objects of ``patient`` (so the fuzz reaches the forms)."""
    found = {
        "patient_id": patient,
        "medication_id": _first(Medication, patient=patient, is_prn=False),
        "schedule_id": _first(MedicationSchedule, patient=patient),
        "dose_id": _first(Dose, patient=patient, status="pending"),
        "measurement_id": _first(Measurement, patient=patient),
        "log_id": _first(DailyLog, patient=patient),
        "appointment_id": _first(Appointment, patient=patient),
        "file_id": _first(File, patient=patient),
        "share_id": _first(FileShare, file__patient=patient),
        "invitation_id": _first(CaregiverInvitation, patient=patient),
        "member_id": _first(PatientCaregiver, patient=patient, caregiver=secondary),
        "job_id": _first(ExportJob, patient=patient),
        "notification_id": _first(Notification, user=primary),
        "token_id": _first(ApiToken, user=primary),
        "user_id": primary,
    }
    kwargs: dict[str, Any] = {}
    for param in route.params:
        if param == "type":
            kwargs[param] = "blood_pressure"
        elif found.get(param) is not None:
            kwargs[param] = found[param].pk
        else:
            kwargs[param] = FILLERS.get(param, uuid.uuid4())
    return reverse(route.name, kwargs=kwargs)


def _fields(client: Client, url: str) -> dict[str, list[str]]:
    """The names (with the values the page offers) of the forms posting to ``url``,
    found on its own page or the nearest page above it."""
    fields: dict[str, list[str]] = {}
    page = url
    while page and not fields:
        response = client.get(page)
        if response.status_code == 200 and "html" in response.get("Content-Type", ""):
            for form in forms_on(response.content.decode()):
                if form.method == "post" and (form.action or page) == url:
                    for name in form.names:
                        fields.setdefault(name, [])
                    for name, value in [*form.pairs, *form.buttons]:
                        fields.setdefault(name, []).append(value)
        if page == "/":
            break
        page = page.rstrip("/").rsplit("/", 1)[0] + "/"
    fields.pop("csrfmiddlewaretoken", None)
    return fields


FUZZ = settings(
    max_examples=20,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@pytest.mark.parametrize("route", FUZZED, ids=lambda r: r.name)
def test_no_form_answers_a_500(
    route: Route, patient: Patient, primary: User, secondary: User
) -> None:
    client = Client(raise_request_exception=False)
    if route.name not in PUBLIC_FORMS:
        client.force_login(primary)
    url = _url(route, patient, primary, secondary)
    fields = _fields(client, url)
    names = sorted(fields) or ["name", "value", "status"]
    post = st.fixed_dictionaries(
        {}, optional={name: _values(fields.get(name, [])) for name in names}
    )

    @FUZZ
    @given(data=post)
    @example(data={})
    @example(data=dict.fromkeys(names, "\x00"))
    @example(data=dict.fromkeys(names, "9" * 400))
    @example(data={name: ["1", "2"] for name in names})
    @example(data={name: [*values, "a\x00"][0] for name, values in fields.items()})
    def submit(data: dict[str, Any]) -> None:
        response = client.post(url, data)
        assert response.status_code < 500, f"POST {url} {data!r} → {response.status_code}"

    submit()


def test_the_fuzz_covers_the_forms_people_use() -> None:
    names = {route.name for route in FUZZED}
    assert {
        "patients:create",
        "patients:edit",
        "medications:create",
        "medications:schedule_create",
        "medications:taper",
        "doses:record",
        "doses:give_now",
        "measurements:create",
        "measurements:target",
        "journal:write",
        "appointments:create",
        "files:upload",
        "exports:list",
        "caregivers:invite",
        "accounts:settings",
        "accounts:signup",
        "notifications:preferences",
    } <= names
