"""Reads and sign-ins are recorded by the application in the access log."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import User
from audit.models import AccessLog
from conftest import PASSWORD
from medtrack.rls import system_context
from patients.models import Patient

pytestmark = pytest.mark.django_db


def log() -> list[AccessLog]:
    with system_context("test"):
        return list(AccessLog.objects.order_by("occurred_at").select_related("actor"))


def test_logins_failed_logins_and_logouts_are_recorded(client: Client, primary: User) -> None:
    login = reverse("accounts:login")
    client.post(
        login, {"username": "alice@example.com", "password": "wrong"}, REMOTE_ADDR="203.0.113.9"
    )
    client.post(
        login, {"username": "alice@example.com", "password": PASSWORD}, HTTP_USER_AGENT="Phone"
    )
    client.post(reverse("accounts:logout"))

    failed, ok, out = log()
    assert (failed.action, failed.actor, failed.detail) == (
        "login_failed",
        None,
        {"email": "alice@example.com"},
    )
    assert failed.ip_address == "203.0.113.9"
    assert (ok.action, ok.actor, ok.user_agent) == ("login", primary, "Phone")
    assert (out.action, out.actor) == ("logout", primary)


def test_opening_a_patient_page_is_recorded_with_the_request_id(
    client: Client, patient: Patient, viewer: User
) -> None:
    client.force_login(viewer)
    response = client.get(reverse("patients:detail", args=[patient.pk]))

    (entry,) = [e for e in log() if e.action == "view"]
    assert entry.actor == viewer
    assert entry.patient_id == patient.pk
    assert entry.object_type == "patient"
    assert entry.request_id == response["X-Request-ID"]


def test_a_refused_look_is_not_a_view(client: Client, patient: Patient, stranger: User) -> None:
    client.force_login(stranger)
    client.get(reverse("patients:detail", args=[patient.pk]))
    assert [e for e in log() if e.action == "view"] == []
