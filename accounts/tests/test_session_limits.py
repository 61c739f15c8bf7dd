"""Idle and absolute session limits, server-side drafts of what was being typed,
and logout ending the session on the server."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse

from accounts.models import FormDraft, User
from accounts.session_limits import drafts_prune
from audit.models import AccessLog
from conftest import PASSWORD
from medtrack.rls import system_context
from patients.models import Patient

pytestmark = pytest.mark.django_db

START = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def signed_in(client: Client, primary: User, time_machine) -> Client:
    time_machine.move_to(START, tick=False)
    client.force_login(primary)
    return client


def later(time_machine, **delta: float) -> None:
    time_machine.move_to(START + dt.timedelta(**delta), tick=False)


def ended(response) -> str:
    assert response.status_code == 302, response.status_code
    match = re.search(r"ended=(\w+)", response["Location"])
    assert "/login/" in response["Location"]
    assert match, response["Location"]
    return match.group(1)


def test_thirty_minutes_without_activity_end_the_session_on_the_server(
    signed_in: Client, time_machine
) -> None:
    assert signed_in.get(reverse("dashboard:home")).status_code == 200
    key = signed_in.session.session_key
    later(time_machine, minutes=31)
    response = signed_in.get(reverse("dashboard:home"))
    assert ended(response) == "idle"
    assert "next=%2F" in response["Location"]
    assert not Session.objects.filter(session_key=key).exists()
    with system_context("test"):
        assert AccessLog.objects.filter(action="logout").count() == 1
    login_page = signed_in.get(response["Location"])
    assert b"nothing happened for a while" in login_page.content


def test_activity_keeps_the_session_until_the_absolute_limit(
    signed_in: Client, time_machine
) -> None:
    for step in range(1, 36):  # every 20 minutes for 11 h 40 min
        later(time_machine, minutes=20 * step)
        assert signed_in.get(reverse("patients:list")).status_code == 200, step
    later(time_machine, hours=12, minutes=1)
    assert ended(signed_in.get(reverse("patients:list"))) == "max"


def test_pages_tell_the_browser_how_long_is_left(signed_in: Client, time_machine) -> None:
    signed_in.get(reverse("dashboard:home"))
    later(time_machine, minutes=10)
    page = signed_in.get(reverse("patients:list")).content.decode()
    assert 'data-session-remaining="1800"' in page
    assert 'data-session-renewable="true"' in page
    later(time_machine, hours=11, minutes=50)
    # Kept alive all day: now the absolute limit is the nearer one, 10 minutes away.
    for minutes in range(20, 11 * 60 + 50, 20):
        later(time_machine, minutes=minutes)
        signed_in.get(reverse("patients:list"))
    later(time_machine, hours=11, minutes=50)
    page = signed_in.get(reverse("patients:list")).content.decode()
    assert 'data-session-remaining="600"' in page
    assert 'data-session-renewable="false"' in page
    assert 'id="session-warning"' in page


def test_stay_signed_in_restarts_the_idle_clock(signed_in: Client, time_machine) -> None:
    later(time_machine, minutes=29)
    response = signed_in.post(reverse("accounts:session_keepalive"))
    assert response.json() == {"remaining": 1800, "renewable": True}
    later(time_machine, minutes=29 + 29)
    assert signed_in.get(reverse("dashboard:home")).status_code == 200


def test_a_form_sent_after_the_limit_becomes_a_draft_for_after_sign_in(
    signed_in: Client, patient: Patient, primary: User, time_machine
) -> None:
    write = reverse("journal:write", kwargs={"patient_id": patient.pk})
    signed_in.get(write)
    later(time_machine, minutes=45)
    typed = {"notes": "Slept badly, asked for water twice", "mood": "3", "form_token": "x"}
    response = signed_in.post(write, {**typed, "csrfmiddlewaretoken": "secret"})
    assert ended(response) == "idle"
    with system_context("test"):
        draft = FormDraft.objects.get(user=primary, path=write)
    assert draft.data == {"notes": [typed["notes"]], "mood": ["3"]}  # no tokens kept

    logged_in = signed_in.post(
        response["Location"], {"username": primary.email, "password": PASSWORD}
    )
    assert logged_in.status_code == 302
    assert logged_in["Location"] == write
    page = signed_in.get(write).content.decode()
    restored = re.search(r'id="form-draft" data-draft="([^"]+)"', page)
    assert restored, "the page carries the draft back"
    assert json.loads(restored.group(1).replace("&quot;", '"'))["notes"] == [typed["notes"]]
    with system_context("test"):
        assert not FormDraft.objects.filter(user=primary, path=write).exists()
    assert 'id="form-draft"' not in signed_in.get(write).content.decode()  # once only


def test_the_browser_saves_the_form_just_before_the_end_without_extending_it(
    signed_in: Client, primary: User, time_machine
) -> None:
    later(time_machine, minutes=29, seconds=50)
    response = signed_in.post(
        reverse("accounts:session_draft"),
        {"path": "/patients/1/logs/write/", "notes": "half a sentence", "password": "never"},
    )
    assert response.json() == {"saved": True}
    with system_context("test"):
        assert FormDraft.objects.get(user=primary).data == {"notes": ["half a sentence"]}
    later(time_machine, minutes=30, seconds=30)
    assert ended(signed_in.get(reverse("dashboard:home"))) == "idle"


@pytest.mark.parametrize("path", ["https://evil.example/x", "//evil.example/x", ""])
def test_a_draft_is_only_for_a_page_of_this_site(signed_in: Client, path: str) -> None:
    response = signed_in.post(reverse("accounts:session_draft"), {"path": path, "notes": "x"})
    assert response.status_code == 400


def test_an_htmx_request_after_the_limit_is_sent_to_log_in(
    signed_in: Client, time_machine
) -> None:
    later(time_machine, minutes=31)
    response = signed_in.get(reverse("dashboard:home"), headers={"HX-Request": "true"})
    assert response.status_code == 204
    assert "ended=idle" in response["HX-Redirect"]


def test_logging_out_ends_the_session_on_the_server(signed_in: Client) -> None:
    cookie = signed_in.cookies["sessionid"].value
    assert signed_in.post(reverse("accounts:logout")).status_code == 302
    assert not Session.objects.filter(session_key=cookie).exists()
    replay = Client()
    replay.cookies["sessionid"] = cookie
    response = replay.get(reverse("dashboard:home"))
    assert response.status_code == 302
    assert "/login/" in response["Location"]


def test_old_drafts_are_pruned(patient: Patient, time_machine) -> None:
    with system_context("test"):
        assert FormDraft.objects.exists()  # Alice's, from the fixture
        assert drafts_prune(now=dt.datetime.now(dt.UTC)) == 0
        assert drafts_prune(now=dt.datetime.now(dt.UTC) + dt.timedelta(days=8)) == 1
