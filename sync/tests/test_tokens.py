"""Sync tokens: made and revoked in Settings, checked on every request, rate-limited."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts import tokens
from accounts.models import ApiToken, User
from medtrack.rls import acting_as, system_context
from patients.models import Patient
from sync import api as sync_api
from sync.tests.conftest import Api, make_token

pytestmark = pytest.mark.django_db(transaction=True)

CHANGES = "/api/v1/sync/changes"


def test_requests_without_a_valid_sync_token_get_401(client: Client, primary: User) -> None:
    with acting_as(primary.pk):
        _token, calendar = tokens.token_create(
            user=primary, name="Calendar", scopes=["calendar:read"]
        )
    for header in [None, "Bearer", "Bearer mt_nope", f"Bearer {calendar}", "Basic abc"]:
        extra = {"HTTP_AUTHORIZATION": header} if header else {}
        response = client.get(CHANGES, **extra)
        assert response.status_code == 401, header
        assert response["WWW-Authenticate"].startswith("Bearer")
        assert response.json()["error"]["code"] == "unauthorized"
    response = client.post("/api/v1/sync/push", {}, content_type="application/json")
    assert response.status_code == 401


def test_a_revoked_token_gets_401_at_once(api: Api, primary: User, patient: Patient) -> None:
    assert api.get().status_code == 200
    with acting_as(primary.pk):
        token = ApiToken.objects.get(user=primary, name="Phone")
        tokens.token_revoke(user=primary, token_id=token.pk)
    assert api.get().status_code == 401


def test_a_deactivated_user_s_token_stops_working(api: Api, primary: User) -> None:
    User.objects.filter(pk=primary.pk).update(is_active=False)
    assert api.get().status_code == 401


def test_use_is_recorded_on_the_token(api: Api, primary: User) -> None:
    api.get()
    with acting_as(primary.pk):
        token = ApiToken.objects.get(user=primary, name="Phone")
    assert token.last_used_at is not None


def test_each_token_is_rate_limited_with_retry_after(
    settings: object, primary: User, secondary: User
) -> None:
    settings.SYNC_RATE_LIMIT_PER_MINUTE = 3
    alice, bob = Api(make_token(primary)), Api(make_token(secondary))
    start = timezone.now().replace(second=10, microsecond=0)
    with time_machine.travel(start, tick=False):
        assert [alice.get().status_code for _ in range(3)] == [200, 200, 200]
        limited = alice.get()
        assert limited.status_code == 429
        assert limited["Retry-After"] == "50"
        assert limited.json()["error"]["code"] == "rate_limited"
        assert bob.get().status_code == 200  # per token
    with time_machine.travel(start + dt.timedelta(minutes=1), tick=False):
        assert alice.get().status_code == 200
        assert sync_api.requests_prune(now=timezone.now() + dt.timedelta(minutes=5)) >= 2


def test_settings_make_a_token_shown_once_and_list_its_syncs(
    client: Client, primary: User, stranger: User, patient: Patient
) -> None:
    make_token(stranger, "Charlie's tablet")
    client.force_login(primary)
    page = client.get("/accounts/settings/sync/")
    assert page.status_code == 200
    token_field = re.search(rb'name="form_token" value="([^"]+)"', page.content)
    assert token_field
    made = client.post(
        "/accounts/settings/sync/",
        {"name": "Ana's phone", "form_token": token_field.group(1).decode()},
    )
    secret = re.search(rb'id="new-secret" type="text" value="(mt_[^"]+)"', made.content)
    assert secret
    assert made["Cache-Control"].startswith("max-age=0")
    phone = Api(secret.group(1).decode(), client_id="Ana's phone")
    phone.pull()
    listed = client.get("/accounts/settings/sync/")
    assert b"Ana&#x27;s phone" in listed.content
    assert b"last used" in listed.content
    assert b"received" in listed.content
    assert secret.group(1) not in listed.content  # shown once
    assert b"Charlie" not in listed.content
    with acting_as(primary.pk):
        token = ApiToken.objects.get(user=primary, name="Ana's phone")
    client.post(f"/accounts/settings/sync/{token.pk}/revoke/")
    assert phone.get().status_code == 401
    again = client.post(f"/accounts/settings/sync/{token.pk}/revoke/", follow=True)
    assert b"already revoked" in again.content


def test_a_new_user_is_told_what_the_page_is_for(client: Client, secondary: User) -> None:
    client.force_login(secondary)
    page = client.get("/accounts/settings/sync/")
    assert b"None yet. Make one above when you set up an app." in page.content
    assert b"No app has synced yet." in page.content
    assert b"/api/v1/openapi.json" in page.content


def test_the_devices_page_costs_the_same_queries_for_one_sync_or_many(
    client: Client, primary: User, patient: Patient
) -> None:
    phone = Api(make_token(primary, "Phone"))
    client.force_login(primary)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/accounts/settings/sync/").status_code == 200
        return len(captured)

    phone.pull()
    one = queries()
    for n in range(5):
        Api(make_token(primary, f"Tablet {n}")).pull()
    assert queries() == one
    assert one <= 15


def test_staff_see_the_sync_log_in_the_admin(client: Client, primary: User, staff: User) -> None:
    Api(make_token(primary)).pull()
    client.force_login(staff)
    page = client.get("/admin/sync/synclog/")
    assert page.status_code == 200
    assert b"test-phone" in page.content
    with system_context("test"):
        from sync.models import SyncLog

        log = SyncLog.objects.get(client_id="test-phone")
    assert client.get(f"/admin/sync/synclog/{log.pk}/change/").status_code == 200
    assert client.get("/admin/sync/synclog/add/").status_code == 403


def test_a_token_s_visible_id_cannot_bring_its_secret_back(client: Client, primary: User) -> None:
    client.force_login(primary)
    page = client.get("/accounts/settings/sync/")
    found = re.search(rb'name="form_token" value="([^"]+)"', page.content)
    assert found
    made = client.post(
        "/accounts/settings/sync/", {"name": "Phone", "form_token": found.group(1).decode()}
    )
    secret = re.search(rb'id="new-secret" type="text" value="(mt_[^"]+)"', made.content)
    assert secret
    with acting_as(primary.pk):
        token = ApiToken.objects.get(user=primary, name="Phone")
    assert str(token.pk) != found.group(1).decode()
    replay = client.post("/accounts/settings/sync/", {"name": "x", "form_token": str(token.pk)})
    assert secret.group(1) not in replay.content
