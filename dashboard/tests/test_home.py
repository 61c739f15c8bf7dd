from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import User

pytestmark = pytest.mark.django_db

URL = reverse("dashboard:home")


def test_anonymous_visitors_are_sent_to_log_in(client: Client) -> None:
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('accounts:login')}?next=/"


def test_a_new_caregiver_is_told_what_to_do_first(
    client: Client, primary: User, django_assert_max_num_queries
) -> None:
    client.force_login(primary)
    with django_assert_max_num_queries(3):  # session, user, nothing else yet
        response = client.get(URL)
    content = response.content.decode()
    assert "Hello, Alice Primary" in content
    assert "Let&#x27;s get started" in content or "Let's get started" in content
