from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import User

pytestmark = pytest.mark.django_db

URL = reverse("accounts:settings")
VALID = {
    "name": "Alice P.",
    "timezone": "America/New_York",
    "weight": "lb",
    "temperature": "F",
    "glucose": "mmol/L",
    "length": "in",
    "language": "es",
}


def test_it_requires_login(client: Client) -> None:
    assert client.get(URL)["Location"].startswith(reverse("accounts:login"))


def test_it_shows_the_current_settings(client: Client, primary: User) -> None:
    client.force_login(primary)
    response = client.get(URL)
    assert response.status_code == 200
    assert response.context["form"].initial["timezone"] == "UTC"
    assert response.context["form"].initial["weight"] == "kg"
    assert "AP" in response.content.decode()  # initials stand in for the avatar


def test_it_saves_name_time_zone_units_and_language(client: Client, primary: User) -> None:
    client.force_login(primary)

    response = client.post(URL, VALID)

    assert response.status_code == 302
    primary.refresh_from_db()
    assert primary.name == "Alice P."
    assert primary.settings.timezone == "America/New_York"
    assert primary.settings.units == {
        "weight": "lb",
        "temperature": "F",
        "glucose": "mmol/L",
        "length": "in",
    }
    assert primary.settings.language == "es"


def test_it_keeps_what_was_typed_when_a_field_is_wrong(client: Client, primary: User) -> None:
    client.force_login(primary)

    response = client.post(URL, {**VALID, "name": "   ", "weight": "stone"})

    assert response.status_code == 200
    form = response.context["form"]
    assert set(form.errors) == {"name", "weight"}
    assert 'value="America/New_York" selected' in response.content.decode()
    primary.refresh_from_db()
    assert primary.name == "Alice Primary"


def test_the_password_reset_e_mail_is_in_the_accounts_language(
    client: Client, primary: User
) -> None:
    """Asked for from an English browser, written in the account's Spanish."""
    from django.core import mail

    from accounts.models import UserSettings

    UserSettings.objects.filter(user=primary).update(language="es")
    mail.outbox.clear()
    client.post(
        reverse("accounts:password_reset"), {"email": primary.email}, HTTP_ACCEPT_LANGUAGE="en"
    )
    (message,) = mail.outbox
    assert "contraseña" in message.body.lower()
    assert "password" not in message.body.lower().replace("/password/", "")
