from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import User
from conftest import PASSWORD

pytestmark = pytest.mark.django_db

URL = reverse("accounts:signup")


def signup(client: Client, **overrides: str):
    data = {
        "name": "Ana García",
        "email": "Ana@Example.com",
        "password1": PASSWORD,
        "password2": PASSWORD,
        "timezone": "Europe/Madrid",
        **overrides,
    }
    return client.post(URL, data)


def test_it_shows_the_form_to_anonymous_visitors(client: Client) -> None:
    response = client.get(URL)
    assert response.status_code == 200
    assert b'name="timezone"' in response.content


def test_it_creates_a_caregiver_with_settings_and_logs_them_in(client: Client) -> None:
    response = signup(client)

    assert response.status_code == 302
    assert response["Location"] == reverse("dashboard:home")
    user = User.objects.get()
    assert user.email == "ana@example.com"
    assert user.role == "caregiver"
    assert user.settings.timezone == "Europe/Madrid"
    assert user.password.startswith(("argon2", "md5"))
    assert client.get(reverse("dashboard:home")).context["user"] == user


def test_it_refuses_an_address_already_used_in_any_case(client: Client, primary: User) -> None:
    response = signup(client, email="ALICE@example.com")

    assert response.status_code == 200
    assert "already exists" in response.content.decode()
    assert User.objects.count() == 1


def test_it_keeps_what_was_typed_when_passwords_differ(client: Client) -> None:
    response = signup(client, password2="something-else-entirely")

    assert response.status_code == 200
    content = response.content.decode()
    assert "didn\u2019t match" in content or "didn't match" in content
    assert 'value="Ana García"' in content
    assert 'value="Ana@Example.com"' in content
    assert not User.objects.exists()


def test_it_rejects_weak_passwords_with_a_reason(client: Client) -> None:
    response = signup(client, password1="12345678", password2="12345678")

    assert response.status_code == 200
    assert "too short" in response.content.decode()
    assert not User.objects.exists()


def test_it_rejects_an_unknown_time_zone(client: Client) -> None:
    response = signup(client, timezone="Mars/Olympus_Mons")

    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()


def test_it_sends_logged_in_users_to_their_start_page(client: Client, primary: User) -> None:
    client.force_login(primary)
    assert client.get(URL)["Location"] == reverse("dashboard:home")
