from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import User

pytestmark = pytest.mark.django_db


def test_caregivers_cannot_use_the_admin(client: Client, primary: User) -> None:
    client.force_login(primary)
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


def test_staff_can_search_and_filter_users(client: Client, staff: User, primary: User) -> None:
    client.force_login(staff)
    url = reverse("admin:accounts_user_changelist")

    found = client.get(url, {"q": "alice"})
    filtered = client.get(url, {"role__exact": "admin"})

    assert found.status_code == 200
    assert list(found.context["cl"].result_list) == [primary]
    assert list(filtered.context["cl"].result_list) == [staff]


def test_staff_can_add_a_user_from_the_admin(client: Client, staff: User) -> None:
    client.force_login(staff)
    response = client.post(
        reverse("admin:accounts_user_add"),
        {
            "email": "New.Person@Example.com",
            "name": "New Person",
            "role": "caregiver",
            "usable_password": "true",
            "password1": "a-long-enough-secret",
            "password2": "a-long-enough-secret",
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    user = User.objects.get(email="new.person@example.com")
    assert user.check_password("a-long-enough-secret")


def test_staff_can_open_a_user(client: Client, staff: User, primary: User) -> None:
    client.force_login(staff)
    response = client.get(reverse("admin:accounts_user_change", args=[primary.pk]))
    assert response.status_code == 200
    assert "alice@example.com" in response.content.decode()
