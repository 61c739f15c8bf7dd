"""The pull: a client's copy of every patient it may see, kept up by cursor."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import User
from appointments.models import Appointment
from audit.models import AccessLog
from caregivers import services as caregivers
from caregivers.models import PatientCaregiver
from conftest import add_member, add_reading, as_member, make_patient
from doses.models import Dose
from measurements import services as measurements
from measurements.models import Measurement
from medtrack.rls import acting_as, system_context
from patients import services as patients
from patients.access import Area, get_patient_for_user
from patients.models import Patient
from sync.entities import ENTITIES
from sync.models import SyncLog
from sync.tests.conftest import Api, make_token

# The pull serves committed transactions only: each request here commits, as in production.
pytestmark = pytest.mark.django_db(transaction=True)

EVERY_ENTITY = set(ENTITIES)


def server_ids(model: type, patient: Patient) -> set[str]:
    with system_context("test"):
        field = "id" if model is Patient else "patient"
        return {
            str(pk) for pk in model.objects.filter(**{field: patient}).values_list("pk", flat=True)
        }


def test_a_first_pull_mirrors_every_synced_table(api: Api, patient: Patient) -> None:
    api.pull()
    assert set(api.mirror.records) == EVERY_ENTITY
    held = api.mirror.get("patients", patient.pk)["data"]
    assert held["name"] == "Rosa Primary"
    assert held["dob"] == "1941-03-14"
    assert held["allergies"] == ["penicillin"]
    assert set(api.mirror.records["doses"]) == server_ids(Dose, patient)
    assert set(api.mirror.records["measurements"]) == server_ids(Measurement, patient)
    team = api.mirror.records["team"].values()
    assert {member["data"]["caregiver_name"] for member in team} == {
        "Alice Primary",
        "Bob Secondary",
        "Vera Viewer",
    }
    reading = next(iter(api.mirror.records["measurements"].values()))["data"]
    assert reading["value"] == "150"
    assert reading["value_secondary"] == "95"
    assert reading["measured_at"].endswith("Z")


def test_pages_follow_each_other_with_no_gap_and_no_repeat(
    api: Api, primary: User, patient: Patient
) -> None:
    whole = Api(make_token(primary, "Tablet"))
    whole.pull()
    received = api.pull(limit=3)
    ids = [(change["entity"], change["id"]) for change in received]
    assert len(ids) == len(set(ids)) > 9
    assert {entity: set(records) for entity, records in api.mirror.records.items()} == {
        entity: set(records) for entity, records in whole.mirror.records.items()
    }


def test_a_stranger_sees_nothing_of_another_family(
    patient: Patient, stranger: User, other_patient: Patient
) -> None:
    theirs = Api(make_token(stranger))
    theirs.pull()
    patient_ids = {
        held["patient_id"]
        for records in theirs.mirror.records.values()
        for held in records.values()
    }
    assert patient_ids == {str(other_patient.pk)}


def test_changes_after_a_pull_come_in_the_next_one_and_only_they(
    api: Api, primary: User, patient: Patient
) -> None:
    api.pull()
    assert api.pull() == []
    with acting_as(primary.pk):
        reading = Measurement.objects.filter(patient=patient).first()
        measurements.measurement_update(
            patient=as_member(primary, patient, Area.MEASUREMENTS),
            actor=primary,
            measurement=reading,
            version=None,
            notes="after the walk",
        )
    received = api.pull()
    assert [(change["entity"], change["data"]["notes"]) for change in received] == [
        ("measurements", "after the walk")
    ]
    assert received[0]["version"] > 0
    assert api.pull() == []


def test_deletes_arrive_as_tombstones(api: Api, primary: User, patient: Patient) -> None:
    api.pull()
    with acting_as(primary.pk):
        appointment = Appointment.objects.get(patient=patient)
        Appointment.objects.filter(pk=appointment.pk).delete()
    (change,) = api.pull()
    assert change == {
        "entity": "appointments",
        "id": str(appointment.pk),
        "patient_id": str(patient.pk),
        "deleted": True,
        "version": change["version"],
        "data": None,
    }
    assert str(appointment.pk) not in api.mirror.records["appointments"]


def test_losing_access_appears_as_a_tombstone_for_the_patient(
    primary: User, secondary: User, patient: Patient
) -> None:
    bob = Api(make_token(secondary))
    bob.pull()
    assert bob.mirror.records["doses"]
    with acting_as(primary.pk):
        member = PatientCaregiver.objects.get(patient=patient, caregiver=secondary)
        caregivers.member_remove(
            patient=as_member(primary, patient, Area.CAREGIVERS), actor=primary, member=member
        )
    received = bob.pull()
    assert [(c["entity"], c["id"], c["deleted"]) for c in received] == [
        ("patients", str(patient.pk), True)
    ]
    assert bob.mirror.data() == {}
    assert bob.pull() == []


def test_a_deleted_patient_leaves_and_a_restored_one_comes_back_whole(
    api: Api, primary: User, patient: Patient
) -> None:
    api.pull()
    before = api.mirror.data()
    loaded = as_member(primary, patient, Area.PATIENT)
    with acting_as(primary.pk):
        patients.patient_soft_delete(patient=loaded, actor=primary)
    assert [c["deleted"] for c in api.pull()] == [True]
    assert api.mirror.data() == {}
    with acting_as(primary.pk):
        loaded = get_patient_for_user(primary, patient.pk, Area.PATIENT, include_deleted=True)
        patients.patient_restore(patient=loaded, actor=primary)
    api.pull()
    after = api.mirror.data()
    assert set(after) == set(before)
    assert set(after["doses"]) == set(before["doses"])


def test_joining_a_team_sends_the_patient_whole(
    api: Api, primary: User, stranger: User, patient: Patient
) -> None:
    charlie = Api(make_token(stranger))
    charlie.pull()
    assert charlie.mirror.data() == {}
    add_member(patient, stranger, "viewer")
    charlie.pull()
    assert set(charlie.mirror.records["doses"]) == server_ids(Dose, patient)
    assert str(patient.pk) in charlie.mirror.records["patients"]


def test_areas_narrowed_away_are_not_sent_and_narrowing_resends_the_patient(
    primary: User, viewer: User, patient: Patient
) -> None:
    vera = Api(make_token(viewer))
    vera.pull()
    assert vera.mirror.records["files"]
    with acting_as(primary.pk):
        member = PatientCaregiver.objects.get(patient=patient, caregiver=viewer)
        caregivers.member_update(
            patient=as_member(primary, patient, Area.CAREGIVERS),
            actor=primary,
            member=member,
            role="viewer",
            permissions={"files": "none", "measurements": "none"},
        )
    vera.pull()
    assert not vera.mirror.records.get("files")
    assert not vera.mirror.records.get("measurements")
    assert vera.mirror.records["doses"]


def test_another_user_s_cursor_is_refused(api: Api, secondary: User, patient: Patient) -> None:
    api.pull()
    bob = Api(make_token(secondary))
    response = bob.get(api.mirror.cursor)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_cursor"


def test_a_cursor_not_made_by_the_server_is_refused(api: Api, patient: Patient) -> None:
    for cursor in ["nonsense", "eyJ2IjoxfQ", "e30", "x" * 30_000]:
        response = api.get(cursor)
        assert response.status_code == 400
        assert response.json()["error"]["code"] == "invalid_cursor"
    for limit in ["0", "1001", "ten"]:
        response = api.client.get("/api/v1/sync/changes", {"limit": limit})
        assert response.status_code == 400


def test_a_pull_costs_the_same_queries_for_a_little_or_a_lot(
    api: Api, primary: User, patient: Patient
) -> None:
    def queries() -> int:
        api.mirror.cursor = ""
        with CaptureQueriesContext(connection) as captured:
            api.pull(limit=1000)
        return len(captured)

    small = queries()
    for day in range(40):
        add_reading(
            primary,
            patient,
            "heart_rate",
            Decimal(70),
            at=timezone.now() - dt.timedelta(days=day),
        )
    second = make_patient(primary, "Pablo Primary", dob=dt.date(1950, 1, 2))
    add_reading(primary, second, "weight", Decimal(80))
    assert queries() == small
    assert small <= 36, small  # token, rate limit, memberships, snapshot, changes, 9 tables, logs


def test_each_pull_is_in_the_access_log_and_the_sync_log(
    api: Api, primary: User, patient: Patient
) -> None:
    api.pull()
    with system_context("test"):
        logged = AccessLog.objects.filter(object_type="sync_pull")
        assert [(row.actor_id, row.patient_id) for row in logged] == [(primary.pk, patient.pk)]
        assert logged[0].detail["client_id"] == "test-phone"
    with acting_as(primary.pk):
        log = SyncLog.objects.filter(client_id="test-phone").get()
    assert (log.direction, log.status, log.cursor_from) == ("pull", "ok", "")
    assert log.items > 9
    assert log.cursor_to
