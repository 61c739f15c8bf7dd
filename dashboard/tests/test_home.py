from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import User
from conftest import make_patient
from patients.models import Patient

pytestmark = pytest.mark.django_db

URL = reverse("dashboard:home")
# session, user, unread badge, then inside the request's transaction: savepoint (tests only),
# app.user_id, patients, app.user_id restored (tests only), release (tests only).
QUERIES = 8


def test_anonymous_visitors_are_sent_to_log_in(client: Client) -> None:
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('accounts:login')}?next=/"


def test_a_new_caregiver_is_told_what_to_do_first(client: Client, primary: User) -> None:
    client.force_login(primary)
    content = client.get(URL).content.decode()
    assert "Hello, Alice Primary" in content
    assert "Let's get started" in content
    assert reverse("patients:create") in content


@pytest.mark.parametrize("count", [1, 20])
def test_it_lists_my_patients_in_a_fixed_number_of_queries(
    client: Client,
    primary: User,
    stranger: User,
    other_patient: Patient,
    count: int,
    django_assert_num_queries,
) -> None:
    for number in range(count):
        make_patient(
            primary, f"Patient {number:02}", dob=dt.date(1950, 1, 1) + dt.timedelta(days=number)
        )
    client.force_login(primary)

    with django_assert_num_queries(QUERIES):
        content = client.get(URL).content.decode()

    assert content.count('class="patient-card"') == count
    assert "Tomás Stranger" not in content
