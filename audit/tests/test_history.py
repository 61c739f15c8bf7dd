"""Writes to patient data leave history, made by triggers, that nobody can rewrite."""

from __future__ import annotations

import datetime as dt
import json

import pghistory
import pytest
import time_machine
from django.core.management import call_command
from django.db import connection, transaction
from django.db.utils import ProgrammingError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from caregivers.models import PatientCaregiver
from medtrack.rls import acting_as, system_context
from patients import services
from patients.access import Area, Level, get_patient_for_user
from patients.forms import initial_from
from patients.models import Patient

pytestmark = [pytest.mark.db_behaviour, pytest.mark.django_db]


def events(patient: Patient) -> list[tuple[str, dict]]:
    """(label, context metadata) of the patient's history, oldest first."""
    with system_context("test"), connection.cursor() as cursor:
        cursor.execute(
            "SELECT e.pgh_label, c.metadata FROM patients_patientevent e "
            "LEFT JOIN pghistory_context c ON c.id = e.pgh_context_id "
            "WHERE e.pgh_obj_id = %s ORDER BY e.pgh_id",
            [patient.pk],
        )
        # Django's psycopg setup leaves jsonb as text for the ORM to decode.
        return [(label, json.loads(metadata or "{}")) for label, metadata in cursor.fetchall()]


def soft_delete(patient: Patient, primary: User) -> None:
    with acting_as(primary.pk):
        loaded = get_patient_for_user(primary, patient.pk, Area.PATIENT, Level.MANAGE)
        services.patient_soft_delete(patient=loaded, actor=primary)


def test_an_edit_through_the_page_is_recorded_with_user_path_and_request_id(
    client: Client, patient: Patient, primary: User
) -> None:
    client.force_login(primary)
    data = {
        **initial_from(patient),
        "name": "Rosa P. García",
        "contact_name": "Ana",
        "contact_phone": "+34612345678",
        "contact_relationship": "daughter",
    }
    data["allergies"] = ["penicillin"]
    data["medical_conditions"] = []
    response = client.post(reverse("patients:edit", args=[patient.pk]), data)
    assert response.status_code == 302, response.context["form"].errors

    label, context = events(patient)[-1]
    assert label == "update"
    assert context["user"] == str(primary.pk)
    assert context["url"] == f"/patients/{patient.pk}/edit/"
    assert len(context["request_id"]) == 32


def test_a_bulk_update_is_recorded_with_the_actor(patient: Patient, secondary: User) -> None:
    with acting_as(secondary.pk), pghistory.context(user=str(secondary.pk)):
        Patient.objects.filter(pk=patient.pk).update(timezone="Europe/Lisbon")

    label, context = events(patient)[-1]
    assert (label, context["user"]) == ("update", str(secondary.pk))


def test_a_raw_sql_update_is_recorded_with_the_actor(patient: Patient, primary: User) -> None:
    with (
        acting_as(primary.pk),
        pghistory.context(user=str(primary.pk)),
        connection.cursor() as cursor,
    ):
        cursor.execute("UPDATE patients SET allergies = '{latex}' WHERE id = %s", [patient.pk])

    label, context = events(patient)[-1]
    assert (label, context["user"]) == ("update", str(primary.pk))


def test_the_team_reads_history_like_the_data_and_strangers_see_none(
    patient: Patient, viewer: User, stranger: User
) -> None:
    query = "SELECT count(*) FROM patients_patientevent WHERE pgh_obj_id = %s"
    with acting_as(viewer.pk), connection.cursor() as cursor:
        cursor.execute(query, [patient.pk])
        assert cursor.fetchone()[0] >= 1
    with acting_as(stranger.pk), connection.cursor() as cursor:
        cursor.execute(query, [patient.pk])
        assert cursor.fetchone()[0] == 0


@pytest.mark.parametrize("statement", ["UPDATE {} SET pgh_label = 'forged'", "DELETE FROM {}"])
@pytest.mark.parametrize("table", ["patients_patientevent", "caregivers_patientcaregiverevent"])
def test_the_app_cannot_rewrite_history(
    patient: Patient, primary: User, statement: str, table: str
) -> None:
    with (
        pytest.raises(ProgrammingError, match="permission denied"),
        transaction.atomic(),
        acting_as(primary.pk),
        connection.cursor() as cursor,
    ):
        cursor.execute(statement.format(table))


def test_purging_a_patient_removes_its_rows_everywhere_and_keeps_the_history(
    patient: Patient, primary: User, other_patient: Patient
) -> None:
    soft_delete(patient, primary)

    with time_machine.travel(timezone.now() + dt.timedelta(days=31), tick=False):
        call_command("purge_deleted_patients", verbosity=0)

    with system_context("test"):
        assert not Patient.objects.filter(pk=patient.pk).exists()
        assert not PatientCaregiver.objects.filter(patient_id=patient.pk).exists()
        assert Patient.objects.filter(pk=other_patient.pk).exists()
    labels = [label for label, _ in events(patient)]
    assert labels[0] == "insert"
    assert labels[-1] == "delete"
    with system_context("test"), connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM caregivers_patientcaregiverevent WHERE patient_id = %s AND pgh_label = 'delete'",
            [patient.pk],
        )
        assert cursor.fetchone()[0] == 3  # the whole team's rows, removed by the cascade


def test_purge_keeps_patients_still_within_the_retention_period(
    patient: Patient, primary: User
) -> None:
    soft_delete(patient, primary)

    with time_machine.travel(timezone.now() + dt.timedelta(days=29), tick=False):
        call_command("purge_deleted_patients", verbosity=0)

    with system_context("test"):
        assert Patient.objects.filter(pk=patient.pk).exists()
