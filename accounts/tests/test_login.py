from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import User
from conftest import PASSWORD

pytestmark = pytest.mark.django_db

URL = reverse("accounts:login")


def test_it_logs_in_with_the_email_in_any_case(client: Client, primary: User) -> None:
    response = client.post(URL, {"username": "ALICE@Example.com", "password": PASSWORD})

    assert response.status_code == 302
    assert response["Location"] == reverse("dashboard:home")


def test_it_says_so_when_the_password_is_wrong_and_keeps_the_email(
    client: Client, primary: User
) -> None:
    response = client.post(URL, {"username": "alice@example.com", "password": "nope-nope-nope"})

    assert response.status_code == 200
    content = response.content.decode()
    assert "Please enter a correct" in content
    assert 'value="alice@example.com"' in content


def test_inactive_accounts_cannot_log_in(client: Client, primary: User) -> None:
    primary.is_active = False
    primary.save()

    response = client.post(URL, {"username": "alice@example.com", "password": PASSWORD})

    assert response.status_code == 200


def test_it_returns_to_the_page_that_asked_for_login(client: Client, primary: User) -> None:
    settings_url = reverse("accounts:settings")
    response = client.get(settings_url)
    assert response["Location"] == f"{URL}?next={settings_url}"

    response = client.post(
        f"{URL}?next={settings_url}",
        {"username": "alice@example.com", "password": PASSWORD, "next": settings_url},
    )
    assert response["Location"] == settings_url


def test_logout_needs_a_post_and_ends_the_session(client: Client, primary: User) -> None:
    client.force_login(primary)
    assert client.get(reverse("accounts:logout")).status_code == 405

    response = client.post(reverse("accounts:logout"))

    assert response["Location"] == URL
    assert client.get(reverse("dashboard:home")).status_code == 302
