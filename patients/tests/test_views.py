"""Patient pages, role by role (the URL walk covers strangers and anonymous users everywhere)."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from caregivers.models import PatientCaregiver
from conftest import add_reading
from medtrack.rls import system_context
from patients.models import Patient

pytestmark = pytest.mark.django_db


def form_data(**overrides: object) -> dict[str, object]:
    return {
        "name": "  Marta   López ",
        "dob": "1948-02-29",
        "gender": "female",
        "allergies": ["Penicillin", " ", "penicillin", "Latex"],
        "medical_conditions": ["Heart failure"],
        "contact_name": "Jon López",
        "contact_phone": "+34 612 345 678",
        "contact_relationship": "Son",
        "timezone": "Europe/Madrid",
        "form_token": str(uuid.uuid4()),
        **overrides,
    }


def saved(patient_id: object) -> Patient:
    with system_context("test"):
        return Patient.objects.get(pk=patient_id)


class TestCreate:
    url = reverse("patients:create")

    def test_the_form_starts_in_my_time_zone_with_a_fresh_token(
        self, client: Client, primary: User
    ) -> None:
        primary.settings.timezone = "America/Chicago"
        primary.settings.save()
        client.force_login(primary)
        form = client.get(self.url).context["form"]
        assert form.initial["timezone"] == "America/Chicago"
        assert isinstance(form.initial["form_token"], uuid.UUID)

    def test_it_creates_the_patient_and_makes_me_primary(
        self, client: Client, primary: User
    ) -> None:
        client.force_login(primary)
        data = form_data()

        response = client.post(self.url, data)

        patient = saved(data["form_token"])
        assert response["Location"] == reverse("patients:detail", args=[patient.pk])
        assert patient.name == "Marta López"
        assert patient.allergies == ["Penicillin", "Latex"]
        assert patient.emergency_contact == {
            "name": "Jon López",
            "phone": "+34612345678",
            "relationship": "Son",
        }
        assert patient.created_by == primary
        with system_context("test"):
            (membership,) = PatientCaregiver.objects.filter(patient=patient)
        assert (membership.caregiver, membership.role) == (primary, "primary")

    def test_a_double_submit_creates_one_patient(self, client: Client, primary: User) -> None:
        client.force_login(primary)
        data = form_data()

        first = client.post(self.url, data)
        second = client.post(self.url, data, follow=True)

        assert second.redirect_chain[0][0] == first["Location"]
        assert "already saved" in second.content.decode()
        with system_context("test"):
            assert Patient.objects.count() == 1

    def test_a_duplicate_name_and_birth_date_points_to_the_remedy(
        self, client: Client, primary: User, stranger: User, other_patient: Patient
    ) -> None:
        client.force_login(primary)
        data = form_data(name=other_patient.name, dob=other_patient.dob.isoformat())

        response = client.post(self.url, data)

        assert response.status_code == 200
        content = response.content.decode()
        assert "ask their primary caregiver to invite you" in content
        assert f'value="{other_patient.name}"' in content  # what was typed is kept

    def test_bad_input_gets_clear_messages_and_keeps_the_rest(
        self, client: Client, primary: User
    ) -> None:
        client.force_login(primary)
        tomorrow = (timezone.localdate() + dt.timedelta(days=1)).isoformat()

        response = client.post(
            self.url, form_data(dob=tomorrow, contact_phone="call me maybe", gender="dragon")
        )

        form = response.context["form"]
        assert set(form.errors) == {"dob", "contact_phone", "gender"}
        assert "cannot be in the future" in str(form.errors["dob"])
        assert "phone number someone could dial" in str(form.errors["contact_phone"])
        content = response.content.decode()
        assert 'value="Latex"' in content
        assert 'value="Jon López"' in content


class TestDetail:
    def test_each_member_sees_the_overview_with_what_they_may_do(
        self, client: Client, patient: Patient, primary: User, secondary: User, viewer: User
    ) -> None:
        url = reverse("patients:detail", args=[patient.pk])
        expectations = {primary: (True, True), secondary: (True, False), viewer: (False, False)}
        for user, (can_edit, can_delete) in expectations.items():
            client.force_login(user)
            response = client.get(url)
            assert response.status_code == 200
            assert (response.context["can_edit"], response.context["can_delete"]) == (
                can_edit,
                can_delete,
            )
            content = response.content.decode()
            assert "penicillin" in content
            assert "tel:+34612345678" in content
            assert "Bob Secondary" in content

    @pytest.mark.parametrize("extra_readings", [0, 40])
    def test_it_runs_a_fixed_number_of_queries(
        self,
        client: Client,
        patient: Patient,
        primary: User,
        django_assert_num_queries,
        extra_readings: int,
    ) -> None:
        for n in range(extra_readings):
            add_reading(primary, patient, ["weight", "heart_rate"][n % 2], Decimal(60 + n))
        client.force_login(primary)
        # session, user, unread badge, savepoint, app.user_id, patient+membership, access log, next
        # appointment, user settings, latest readings, team, adherence, refills, restore,
        # release
        with django_assert_num_queries(14):
            client.get(reverse("patients:detail", args=[patient.pk]))


class TestEdit:
    def url(self, patient: Patient) -> str:
        return reverse("patients:edit", args=[patient.pk])

    def edit_data(
        self, client: Client, patient: Patient, **overrides: object
    ) -> dict[str, object]:
        form = client.get(self.url(patient)).context["form"]
        data = {**form.initial, **overrides}
        data["dob"] = data["dob"].isoformat()
        data["version"] = str(data["version"])
        return data

    def test_a_secondary_can_edit(self, client: Client, patient: Patient, secondary: User) -> None:
        client.force_login(secondary)
        response = client.post(
            self.url(patient), self.edit_data(client, patient, allergies=["latex"])
        )
        assert response.status_code == 302
        assert saved(patient.pk).allergies == ["latex"]

    def test_removing_every_allergy_empties_the_list(
        self, client: Client, patient: Patient, primary: User
    ) -> None:
        client.force_login(primary)
        client.post(self.url(patient), self.edit_data(client, patient, allergies=[""]))
        assert saved(patient.pk).allergies == []

    def test_a_concurrent_edit_is_not_overwritten_silently(
        self, client: Client, patient: Patient, primary: User, secondary: User
    ) -> None:
        client.force_login(primary)
        stale = self.edit_data(client, patient, name="Rosa Stale")
        other = Client()
        other.force_login(secondary)
        other.post(self.url(patient), self.edit_data(other, patient, timezone="Atlantic/Canary"))

        response = client.post(self.url(patient), stale)

        assert response.status_code == 200
        assert "Someone else saved changes" in response.content.decode()
        assert 'value="Rosa Stale"' in response.content.decode()
        assert saved(patient.pk).timezone == "Atlantic/Canary"
        # Saving again, now knowingly, goes through.
        again = {**stale, "version": response.context["form"].data["version"]}
        assert client.post(self.url(patient), again).status_code == 302
        assert saved(patient.pk).name == "Rosa Stale"

    def test_the_same_edit_submitted_twice_is_saved_not_a_conflict(
        self, client: Client, patient: Patient, primary: User
    ) -> None:
        client.force_login(primary)
        data = self.edit_data(client, patient, allergies=["latex"])
        assert client.post(self.url(patient), data).status_code == 302
        assert client.post(self.url(patient), data).status_code == 302  # a double tap


class TestDeleteAndRestore:
    def test_only_the_primary_may_delete(
        self, client: Client, patient: Patient, secondary: User
    ) -> None:
        client.force_login(secondary)
        assert client.get(reverse("patients:delete", args=[patient.pk])).status_code == 403
        assert client.post(reverse("patients:delete", args=[patient.pk])).status_code == 403

    def test_a_deleted_patient_disappears_everywhere_and_can_be_restored(
        self, client: Client, patient: Patient, primary: User, secondary: User
    ) -> None:
        client.force_login(primary)
        response = client.post(reverse("patients:delete", args=[patient.pk]))
        assert response["Location"] == reverse("patients:list")

        link = reverse("patients:detail", args=[patient.pk])
        for user in (primary, secondary):
            client.force_login(user)
            assert link not in client.get(reverse("patients:list")).content.decode()
            assert link not in client.get(reverse("dashboard:home")).content.decode()
            assert client.get(link).status_code == 404

        client.force_login(primary)
        deleted_page = client.get(reverse("patients:deleted")).content.decode()
        assert patient.name in deleted_page
        response = client.post(reverse("patients:restore", args=[patient.pk]))
        assert response["Location"] == reverse("patients:detail", args=[patient.pk])
        assert saved(patient.pk).is_deleted is False

    def test_restoring_after_the_retention_period_is_refused_politely(
        self, client: Client, patient: Patient, primary: User
    ) -> None:
        client.force_login(primary)
        client.post(reverse("patients:delete", args=[patient.pk]))

        with time_machine.travel(timezone.now() + dt.timedelta(days=31), tick=False):
            client.force_login(primary)
            restore = reverse("patients:restore", args=[patient.pk])
            assert restore not in client.get(reverse("patients:deleted")).content.decode()
            response = client.post(reverse("patients:restore", args=[patient.pk]), follow=True)

        assert "can no longer be restored" in response.content.decode()
        assert saved(patient.pk).is_deleted is True


class TestList:
    def test_it_shows_my_patients_only(
        self, client: Client, patient: Patient, other_patient: Patient, viewer: User
    ) -> None:
        client.force_login(viewer)
        content = client.get(reverse("patients:list")).content.decode()
        assert patient.name in content
        assert "You can view" in content
        assert other_patient.name not in content

    def test_an_empty_list_says_what_to_do(self, client: Client, stranger: User) -> None:
        client.force_login(stranger)
        content = client.get(reverse("patients:list")).content.decode()
        assert "No patients yet" in content


def test_the_patient_page_offers_only_the_sections_a_member_may_open(
    client: Client, patient: Patient, secondary: User
) -> None:
    with system_context("test"):
        PatientCaregiver.objects.filter(patient=patient, caregiver=secondary).update(
            permissions={"doses": "none", "medications": "none", "caregivers": "none"}
        )
    client.force_login(secondary)
    content = client.get(reverse("patients:detail", args=[patient.pk])).content.decode()
    for name in ("doses:today", "medications:list", "caregivers:team"):
        assert reverse(name, args=[patient.pk]) not in content, name
    assert "Alice Primary" not in content  # the team panel
    assert reverse("measurements:overview", args=[patient.pk]) in content
