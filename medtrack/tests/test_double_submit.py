"""Submitting a create form twice (a double tap, a retried request) makes one record.

Each create form is read from its rendered page and posted twice with the same
one-time token: one new row, and the second answer is a redirect with a
message, never an error. The URL walk below fails for a route that looks like
a create form (…create, …new, …add, …upload, …invite) and is not listed here,
so a new create form gets a double-submit test.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import models
from django.test import Client
from django.urls import get_resolver, reverse

from accounts.models import ApiToken, User
from appointments.models import Appointment
from caregivers.models import CaregiverInvitation
from conftest import add_medication, png_bytes
from doses.models import Dose
from exports.models import ExportJob
from files.models import File, FileShare
from journal.models import DailyLog
from measurements.models import Measurement
from medications.models import Medication, MedicationSchedule
from medtrack.rls import system_context
from medtrack.tests.pageforms import PageForm, forms_on, main_form
from medtrack.tests.test_url_walk import walk
from patients.models import Patient

pytestmark = pytest.mark.django_db


def _first(model: type[models.Model], patient: Patient) -> Any:
    with system_context("test"):
        return model.objects.filter(patient=patient).order_by("pk").first()


@dataclass(frozen=True)
class CreateForm:
    #: The page showing the form, for ``patient``.
    page: Callable[[Patient], str]
    #: What the person types (the rest is what the page offers).
    typed: dict[str, Any]
    #: The rows the form adds.
    model: type[models.Model]
    #: The form on the page that posts there (default: the page's own form).
    posts_to: Callable[[Patient], str] | None = None
    #: Who fills it in (a fixture name); ``None`` for an anonymous visitor.
    user: str | None = "secondary"
    #: Files to attach, made afresh for each submit.
    files: Callable[[], dict[str, Any]] = field(default=dict)
    setup: Callable[[Patient, dict[str, User]], None] | None = None
    #: A new token's secret is shown once, on the answer itself (200), not after a redirect.
    shows_secret: bool = False


def _medication_page(name: str) -> Callable[[Patient], str]:
    return lambda p: reverse(name, args=[p.pk, _first(Medication, p).pk])


def _prn(patient: Patient, cast: dict[str, User]) -> None:
    add_medication(cast["primary"], patient, "Paracetamol", is_prn=True, prn_max_per_day=4)


def _prn_url(patient: Patient) -> str:
    with system_context("test"):
        prn = Medication.objects.get(patient=patient, is_prn=True)
    return reverse("doses:give_now", args=[patient.pk, prn.pk])


def _file_url(name: str) -> Callable[[Patient], str]:
    return lambda p: reverse(name, args=[p.pk, _first(File, p).pk])


CREATE_FORMS: dict[str, CreateForm] = {
    "patients:create": CreateForm(
        page=lambda p: reverse("patients:create"),
        typed={
            "name": "Ana Twice",
            "dob": "1950-06-01",
            "gender": "female",
            "contact_name": "Luis",
            "contact_phone": "+34 612 345 679",
            "contact_relationship": "son",
        },
        model=Patient,
    ),
    "medications:create": CreateForm(
        page=lambda p: reverse("medications:create", args=[p.pk]),
        typed={"name": "Ramipril", "dose_amount": "1", "form": "tablet"},
        model=Medication,
    ),
    "medications:schedule_create": CreateForm(
        page=_medication_page("medications:schedule_create"),
        typed={"times": ["13:00"], "save": "1"},
        model=MedicationSchedule,
    ),
    "medications:taper": CreateForm(
        page=_medication_page("medications:taper"),
        typed={
            "step1_amount": "2",
            "step1_days": "3",
            "step2_amount": "1",
            "step2_days": "3",
            "save": "1",
        },
        model=MedicationSchedule,
    ),
    "doses:give_now": CreateForm(
        page=lambda p: reverse("doses:today", args=[p.pk]),
        posts_to=_prn_url,
        typed={},
        model=Dose,
        setup=_prn,
    ),
    "measurements:create": CreateForm(
        page=lambda p: reverse("measurements:create", args=[p.pk]) + "?type=heart_rate",
        typed={"value": "72"},
        model=Measurement,
    ),
    "journal:write": CreateForm(
        page=lambda p: reverse("journal:write", args=[p.pk]),
        typed={"mood": "3", "notes": "Quiet day"},
        model=DailyLog,
    ),
    "appointments:create": CreateForm(
        page=lambda p: reverse("appointments:create", args=[p.pk]),
        typed={"title": "Blood test", "appointment_type": "lab"},
        model=Appointment,
    ),
    "files:upload": CreateForm(
        page=lambda p: reverse("files:upload", args=[p.pk]),
        typed={},
        model=File,
        files=lambda: {"upload": SimpleUploadedFile("scan.png", png_bytes(colour="red"))},
    ),
    "files:share": CreateForm(
        page=_file_url("files:detail"),
        posts_to=_file_url("files:share"),
        typed={"email": "charlie@example.com"},
        model=FileShare,
    ),
    "exports:list": CreateForm(
        page=lambda p: reverse("exports:list", args=[p.pk]),
        typed={"format": "csv"},
        model=ExportJob,
    ),
    "caregivers:invite": CreateForm(
        page=lambda p: reverse("caregivers:team", args=[p.pk]),
        posts_to=lambda p: reverse("caregivers:invite", args=[p.pk]),
        typed={"email": "dana@example.com", "role": "viewer"},
        model=CaregiverInvitation,
        user="primary",
    ),
    "appointments:feeds": CreateForm(
        page=lambda p: reverse("appointments:feeds"),
        typed={"name": "Kitchen tablet"},
        model=ApiToken,
        shows_secret=True,
    ),
    "sync:devices": CreateForm(
        page=lambda p: reverse("sync:devices"),
        typed={"name": "Bob's phone"},
        model=ApiToken,
        shows_secret=True,
    ),
    "accounts:signup": CreateForm(
        page=lambda p: reverse("accounts:signup"),
        typed={
            "name": "Dana New",
            "email": "dana@example.com",
            "password1": "a long enough pass phrase",
            "password2": "a long enough pass phrase",
        },
        model=User,
        user=None,
    ),
}

#: Routes whose names look like a create form but are not one, and why.
NOT_CREATE_FORMS = {
    "accounts:avatar_upload": "replaces the one picture a person has",
}

LOOKS_LIKE_CREATE = ("create", "new", "add", "upload", "invite", "taper", "give_now", "signup")


def _count(model: type[models.Model]) -> int:
    with system_context("test"):
        return model.objects.count()


def test_every_create_form_is_listed() -> None:
    looks = {
        route.name
        for route in walk(get_resolver().url_patterns)
        if any(word in route.name.rsplit(":", 1)[-1] for word in LOOKS_LIKE_CREATE)
        and not route.name.startswith("admin:")
    }
    unlisted = looks - CREATE_FORMS.keys() - NOT_CREATE_FORMS.keys()
    assert not unlisted, f"add a double-submit case for {sorted(unlisted)}"


def _errors(response: Any) -> object:
    """The form's errors, to say why a submit was not taken."""
    for context in response.context or []:
        for value in context.flatten().values():
            if hasattr(value, "errors") and hasattr(value, "fields"):
                return (response.status_code, value.errors)
    return response.status_code


def _secret(response: Any) -> str:
    return response.context.get("new_url") or response.context.get("new_secret") or ""


def _form_for(html: str, action: str | None) -> PageForm:
    if action is None:
        return main_form(html)
    (form,) = [f for f in forms_on(html) if f.method == "post" and f.action == action][:1]
    return form


@pytest.mark.parametrize("name", CREATE_FORMS.keys())
def test_a_double_submit_creates_one_record(
    client: Client,
    patient: Patient,
    primary: User,
    secondary: User,
    stranger: User,
    name: str,
) -> None:
    case = CREATE_FORMS[name]
    cast = {"primary": primary, "secondary": secondary, "stranger": stranger}
    if case.setup:
        case.setup(patient, cast)
    if case.user:
        client.force_login(cast[case.user])
    action = case.posts_to(patient) if case.posts_to else None
    form = _form_for(client.get(case.page(patient)).content.decode(), action)
    data = form.data(**case.typed)
    url = action or case.page(patient)
    before = _count(case.model)

    first = client.post(url, {**data, **case.files()})
    assert first.status_code == (200 if case.shows_secret else 302), _errors(first)
    made = _count(case.model) - before
    assert made >= 1

    second = client.post(url, {**data, **case.files()}, follow=True)
    if case.shows_secret:  # the same secret again, not a second token
        assert second.status_code == 200
        assert _secret(first)
        assert _secret(first) == _secret(second)
    else:
        assert second.redirect_chain, _errors(second)
        assert second.status_code == 200
    assert _count(case.model) - before == made  # nothing more
    if case.user:  # a message says so (signup: the second lands signed in)
        assert list(second.context["messages"]), "the second submit gets a message"
