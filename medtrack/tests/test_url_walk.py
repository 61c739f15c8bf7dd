"""Every URL, walked from the URLconf: anonymous users go to log in, strangers get
404 for anything under a patient, viewers get 403 for writes.

A URL added later is covered without editing this file; only a new *public*
URL has to be named in PUBLIC.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from accounts.models import User
from patients.models import Patient

pytestmark = pytest.mark.django_db

#: Views anyone may open without logging in. Nothing else.
PUBLIC = {
    "accounts:signup",
    "accounts:login",
    "accounts:password_reset",
    "accounts:password_reset_done",
    "accounts:password_reset_confirm",
    "accounts:password_reset_complete",
    "accounts:goodbye",  # after deleting an account (signed out by then); no data
    "admin:login",
    "caregivers:invitation",  # the e-mailed link; it explains how to log in or sign up
    "appointments:feed",  # calendar apps cannot log in: the secret in the URL is the key
    # The sync API authenticates each request by token (401 without one: sync/tests).
    "sync:changes",
    "sync:push",
    "sync:openapi",  # the API's description, no data
    "set_language",  # the footer's language choice before signing in (a cookie), no data
    "healthz",  # for load balancers: "ok" or which part failed, no data (medtrack/health.py)
}
#: Patient routes a viewer may POST to: leaving a care team is open to every member.
VIEWERS_MAY_POST = {"caregivers:leave"}
#: Values for URL parameters that are not the patient.
FILLERS = {
    "app_label": "patients",
    "content_type_id": "1",
    "url": "x",
    "uidb64": "x",
    "token": "x",
    "type": "blood_pressure",
    "pk": "1",  # django-otp's admin pages for a device
}


@dataclass
class Route:
    name: str
    callback: Any
    params: list[str]

    def url(self, patient: Patient | None = None) -> str:
        kwargs = {
            param: (
                patient.pk
                if param == "patient_id" and patient
                else FILLERS.get(param, uuid.uuid4())
            )
            for param in self.params
        }
        return reverse(self.name, kwargs=kwargs)

    @property
    def under_a_patient(self) -> bool:
        return "patient_id" in self.params


def walk(patterns: list[Any], namespace: str = "") -> Iterator[Route]:
    for entry in patterns:
        if isinstance(entry, URLResolver):
            inner = (
                f"{namespace}:{entry.namespace}"
                if namespace and entry.namespace
                else entry.namespace or namespace
            )
            yield from walk(entry.url_patterns, inner)
        elif isinstance(entry, URLPattern) and entry.name:
            name = f"{namespace}:{entry.name}" if namespace else entry.name
            yield Route(name, entry.callback, list(entry.pattern.regex.groupindex))


ROUTES = list(walk(get_resolver().url_patterns))
PATIENT_ROUTES = [route for route in ROUTES if route.under_a_patient]


def test_the_walk_finds_the_routes_it_must_cover() -> None:
    names = {route.name for route in ROUTES}
    assert {"dashboard:home", "patients:detail", "patients:edit", "admin:index"} <= names
    assert names >= PUBLIC, f"public names that no longer exist: {PUBLIC - names}"


@pytest.mark.parametrize(
    "route", [r for r in ROUTES if r.name not in PUBLIC], ids=lambda r: r.name
)
def test_anonymous_visitors_are_sent_to_log_in(client: Client, route: Route) -> None:
    response = client.get(route.url())
    assert response.status_code == 302, f"{route.name} answered {response.status_code}"
    assert "/login/" in response["Location"]


@pytest.mark.parametrize("route", PATIENT_ROUTES, ids=lambda r: r.name)
def test_every_patient_route_goes_through_the_access_policy(route: Route) -> None:
    assert hasattr(route.callback, "patient_access"), (
        f"{route.name} takes a patient_id but is not decorated with patients.access.patient_view"
    )


@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize("route", PATIENT_ROUTES, ids=lambda r: r.name)
def test_strangers_get_404_under_a_patient(
    client: Client,
    route: Route,
    method: str,
    patient: Patient,
    stranger: User,
    other_patient: Patient,
) -> None:
    client.force_login(stranger)
    response = getattr(client, method)(route.url(patient))
    assert response.status_code == 404


def test_the_routes_open_to_viewers_are_exactly_the_named_ones() -> None:
    open_to_viewers = {r.name for r in PATIENT_ROUTES if r.callback.patient_access[2] <= 1}
    assert open_to_viewers == VIEWERS_MAY_POST


@pytest.mark.parametrize(
    "route", [r for r in PATIENT_ROUTES if r.name not in VIEWERS_MAY_POST], ids=lambda r: r.name
)
def test_viewers_get_403_for_writes(
    client: Client, route: Route, patient: Patient, viewer: User
) -> None:
    client.force_login(viewer)
    response = client.post(route.url(patient))
    assert response.status_code == 403


@pytest.mark.parametrize(
    "route",
    [r for r in PATIENT_ROUTES if r.callback.patient_access[1] >= 2],
    ids=lambda r: r.name,
)
def test_viewers_cannot_even_open_write_pages(
    client: Client, route: Route, patient: Patient, viewer: User
) -> None:
    client.force_login(viewer)
    assert client.get(route.url(patient)).status_code in (403, 405)
