from __future__ import annotations

import re

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from accounts.models import User

pytestmark = pytest.mark.django_db


def test_a_forgotten_password_can_be_reset_from_the_emailed_link(
    client: Client, primary: User
) -> None:
    response = client.post(reverse("accounts:password_reset"), {"email": "Alice@example.com"})
    assert response["Location"] == reverse("accounts:password_reset_done")

    (message,) = mail.outbox
    assert message.to == ["alice@example.com"]
    assert "Choose a new MedTrack password" in message.subject
    assert message.alternatives  # an HTML part as well as plain text
    link = re.search(r"http://testserver(\S+)", message.body).group(1)

    form_url = client.get(link)["Location"]  # Django swaps the token for a session marker
    response = client.post(
        form_url, {"new_password1": "a-brand-new-secret", "new_password2": "a-brand-new-secret"}
    )

    assert response["Location"] == reverse("accounts:password_reset_complete")
    primary.refresh_from_db()
    assert primary.check_password("a-brand-new-secret")
    assert client.get(link).context["validlink"] is False  # the link works once


def test_unknown_addresses_get_the_same_answer_and_no_email(client: Client) -> None:
    response = client.post(reverse("accounts:password_reset"), {"email": "nobody@example.com"})

    assert response["Location"] == reverse("accounts:password_reset_done")
    assert mail.outbox == []


def test_password_change_requires_the_old_password(client: Client, primary: User) -> None:
    client.force_login(primary)
    url = reverse("accounts:password_change")
    data = {"new_password1": "another-fine-secret", "new_password2": "another-fine-secret"}

    response = client.post(url, {**data, "old_password": "wrong"})
    assert response.status_code == 200
    assert "old_password" in response.context["form"].errors

    response = client.post(url, {**data, "old_password": "correct-horse-battery"})
    assert response["Location"] == reverse("accounts:password_change_done")
    primary.refresh_from_db()
    assert primary.check_password("another-fine-secret")
