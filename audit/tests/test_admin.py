"""Staff use the admin in system context, a patient's data only under emergency access
to it (audit/tests/test_break_glass.py); history and the access log are read-only there."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import User
from audit.models import AccessLog
from conftest import break_glass
from medtrack.rls import system_context
from patients.models import Patient

pytestmark = pytest.mark.django_db


def test_staff_see_the_families_they_have_emergency_access_to_and_their_use_is_logged(
    client: Client, staff: User, patient: Patient, other_patient: Patient
) -> None:
    client.force_login(staff)
    break_glass(staff, patient)

    response = client.get(reverse("admin:patients_patient_changelist"), {"q": "r"})

    assert response.status_code == 200
    assert {p.pk for p in response.context["cl"].result_list} == {patient.pk}
    with system_context("test"):
        entry = AccessLog.objects.get(action="admin", patient_id=None)
        under_the_grant = AccessLog.objects.get(action="admin", patient_id=patient.pk)
    assert entry.actor == staff
    assert entry.path == reverse("admin:patients_patient_changelist")
    assert under_the_grant.object_type == "patients.patient"


def test_staff_can_open_a_patient_with_its_team(
    client: Client, staff: User, patient: Patient
) -> None:
    client.force_login(staff)
    break_glass(staff, patient)
    response = client.get(reverse("admin:patients_patient_change", args=[patient.pk]))
    assert response.status_code == 200
    assert "Bob Secondary" in response.content.decode()


def test_history_is_listed_and_read_only(client: Client, staff: User, patient: Patient) -> None:
    client.force_login(staff)
    break_glass(staff, patient)
    url = reverse("admin:pghistory_middlewareevents_changelist")

    response = client.get(url)

    assert response.status_code == 200
    assert response.context["cl"].result_count >= 4  # the patient and its three members
    assert not response.context["has_add_permission"]


def test_the_access_log_is_read_only(client: Client, staff: User, patient: Patient) -> None:
    client.force_login(staff)
    url = reverse("admin:audit_accesslog_changelist")

    response = client.get(url)

    assert response.status_code == 200
    with system_context("test"):
        entry = AccessLog.objects.first()
    change = client.post(
        reverse("admin:audit_accesslog_change", args=[entry.pk]), {"action": "view"}
    )
    assert change.status_code == 403
    assert client.post(reverse("admin:audit_accesslog_delete", args=[entry.pk])).status_code == 403


def test_staff_see_medications_and_filter_doses(
    client: Client, staff: User, patient: Patient
) -> None:
    client.force_login(staff)
    break_glass(staff, patient)
    medications = client.get(
        reverse("admin:medications_medication_changelist"), {"q": "Metformin"}
    )
    taken = client.get(
        reverse("admin:doses_dose_changelist"), {"status__exact": "taken", "q": patient.name}
    )
    assert medications.status_code == 200
    assert [m.name for m in medications.context["cl"].result_list] == ["Metformin"]
    assert [d.status for d in taken.context["cl"].result_list] == ["taken"]
    opened = client.get(
        reverse(
            "admin:medications_medication_change",
            args=[medications.context["cl"].result_list[0].pk],
        )
    )
    assert "08:00" in opened.content.decode()


@pytest.mark.parametrize(
    ("changelist", "filters"),
    [
        ("admin:measurements_measurement_changelist", {"type__exact": "blood_pressure"}),
        ("admin:measurements_measurementthreshold_changelist", {"type__exact": "blood_pressure"}),
        ("admin:journal_dailylog_changelist", {"log_date__gte": "2000-01-01"}),
        ("admin:appointments_appointment_changelist", {"status__exact": "scheduled"}),
    ],
)
def test_staff_filter_readings_and_journal_entries_by_patient_type_and_date(
    client: Client,
    staff: User,
    patient: Patient,
    other_patient: Patient,
    changelist: str,
    filters: dict[str, str],
) -> None:
    client.force_login(staff)
    break_glass(staff, patient)
    break_glass(staff, other_patient)
    response = client.get(reverse(changelist), {**filters, "patient__id__exact": patient.pk})
    assert response.status_code == 200
    rows = response.context["cl"].result_list
    assert len(rows) == 1
    assert rows[0].patient_id == patient.pk
    assert "Rosa Primary" in response.content.decode()


def test_staff_see_tokens_without_their_secret_and_can_revoke_them(
    client: Client, staff: User, primary: User
) -> None:
    from accounts import tokens
    from accounts.models import ApiToken, Scope
    from medtrack.rls import acting_as

    with acting_as(primary.pk):
        token, secret = tokens.token_create(
            user=primary, name="phone", scopes=[Scope.CALENDAR_READ]
        )
    client.force_login(staff)
    listing = client.get(reverse("admin:accounts_apitoken_changelist")).content.decode()
    change = client.get(
        reverse("admin:accounts_apitoken_change", args=[token.pk])
    ).content.decode()
    assert "phone" in listing
    for page in (listing, change):
        assert secret not in page
        assert token.token_hash not in page
    client.post(
        reverse("admin:accounts_apitoken_changelist"),
        {"action": "revoke", "_selected_action": [str(token.pk)]},
    )
    with system_context("test"):
        assert ApiToken.objects.get(pk=token.pk).revoked_at is not None
    assert tokens.token_resolve(secret, Scope.CALENDAR_READ) is None
