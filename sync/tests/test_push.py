"""The push: what a client recorded offline, applied once, with conflicts reported."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from accounts.models import User
from conftest import add_medication, add_reading, as_member
from doses import services as doses
from doses.models import Dose
from journal.models import DailyLog
from measurements.models import Measurement
from medications.models import Medication, MedicationSchedule
from medtrack.rls import acting_as, system_context
from patients.access import Area
from patients.models import Patient
from sync.models import SyncLog
from sync.tests.conftest import Api, make_token, new_item

pytestmark = pytest.mark.django_db(transaction=True)


def history_rows() -> int:
    """Every row of every history table: a push that changes nothing adds none."""
    from django.db import connection

    from medtrack.tests.dbwalk import history_tables

    with system_context("test"), connection.cursor() as cursor:
        total = 0
        for table in sorted(history_tables()):
            cursor.execute(f'SELECT count(*) FROM "{table}"')
            total += cursor.fetchone()[0]
        return total


def statuses(results: list[dict[str, Any]]) -> list[str]:
    return [result["status"] for result in results]


def first_pending_dose(patient: Patient) -> Dose:
    with system_context("test"):
        return Dose.objects.filter(patient=patient, status="pending").order_by("scheduled_for")[0]


def creates(patient: Patient, medication: Medication, prn: Medication) -> list[dict[str, Any]]:
    now = timezone.now()
    return [
        new_item(
            "measurements",
            patient.pk,
            type="blood_pressure",
            value="128",
            value_secondary="82",
            unit="mm[Hg]",
            measured_at=(now - dt.timedelta(hours=1)).isoformat(),
            notes="at home",
        ),
        new_item(
            "daily_logs",
            patient.pk,
            log_date=str(patient.today(now) - dt.timedelta(days=3)),
            mood=3,
        ),
        new_item(
            "appointments",
            patient.pk,
            title="Eye test",
            appointment_type="vision",
            starts_at=(now + dt.timedelta(days=3)).isoformat(),
        ),
        new_item(
            "medications",
            patient.pk,
            name="Vitamin D",
            dose_amount="1",
            dose_unit="capsule",
            start_date=str(patient.today(now)),
        ),
        new_item(
            "schedules",
            patient.pk,
            medication_id=str(medication.pk),
            frequency="weekly",
            times_of_day=["09:00"],
            days_of_week=[1, 4],
            start_date=str(patient.today(now)),
        ),
        new_item("doses", patient.pk, medication_id=str(prn.pk), taken_at=now.isoformat()),
    ]


@pytest.fixture
def prn(primary: User, patient: Patient) -> Medication:
    return add_medication(primary, patient, "Paracetamol", is_prn=True, prn_max_per_day=2)


def test_records_made_offline_are_created_and_come_back_in_the_pull(
    api: Api, patient: Patient, prn: Medication
) -> None:
    with system_context("test"):
        medication = Medication.objects.get(patient=patient, name="Metformin")
    items = creates(patient, medication, prn)
    results = api.push(items)
    assert statuses(results) == ["applied"] * len(items), results
    api.pull()
    for item in items:
        held = api.mirror.get(item["entity"], item["id"])
        assert held["version"] == next(r for r in results if r["id"] == item["id"])["version"]
    with system_context("test"):
        reading = Measurement.objects.get(pk=items[0]["id"])
        assert (reading.value, reading.value_secondary, reading.source) == (128, 82, "device")
        assert DailyLog.objects.get(pk=items[1]["id"]).mood == 3
        schedule = MedicationSchedule.objects.get(pk=items[4]["id"])
        assert Dose.objects.filter(schedule=schedule).exists()  # the same service made its doses
        dose = Dose.objects.get(pk=items[5]["id"])
        assert (dose.status, dose.schedule_id) == ("taken", None)


def test_sending_the_same_batch_again_changes_nothing(
    api: Api, primary: User, patient: Patient, prn: Medication
) -> None:
    with system_context("test"):
        medication = Medication.objects.get(patient=patient, name="Metformin")
    api.pull()
    dose = first_pending_dose(patient)
    batch = [
        *creates(patient, medication, prn),
        api.edit("doses", dose.pk, status="taken", taken_at=timezone.now().isoformat()),
        api.edit("patients", patient.pk, allergies=["penicillin", "latex"]),
    ]
    first = api.push(batch)
    assert set(statuses(first)) == {"applied"}, first
    before = history_rows()
    with system_context("test"):
        counts = (Dose.objects.count(), Measurement.objects.count(), DailyLog.objects.count())
    again = api.push(batch)
    assert statuses(again) == ["unchanged"] * len(batch), again
    assert history_rows() == before
    with system_context("test"):
        assert (Dose.objects.count(), Measurement.objects.count(), DailyLog.objects.count()) == (
            counts
        )


def test_a_dose_someone_else_recorded_meanwhile_is_a_conflict_not_a_second_record(
    api: Api, primary: User, secondary: User, patient: Patient
) -> None:
    api.pull()
    dose = first_pending_dose(patient)
    with acting_as(secondary.pk):
        doses.dose_take(
            patient=as_member(secondary, patient, Area.DOSES), actor=secondary, dose_id=dose.pk
        )
    (result,) = api.push([api.edit("doses", dose.pk, status="taken")])
    assert result["status"] == "conflict"
    assert result["conflict"]["server"]["record"]["recorded_by_id"] == str(secondary.pk)
    assert result["conflict"]["client"]["data"] == {"status": "taken"}
    with system_context("test"):
        recorded = Dose.objects.get(pk=dose.pk)
        assert (recorded.status, recorded.recorded_by_id) == ("taken", secondary.pk)
        assert (
            Dose.objects.filter(schedule=dose.schedule, scheduled_for=dose.scheduled_for).count()
            == 1
        )


def test_a_dose_taken_offline_keeps_the_time_it_was_given(api: Api, patient: Patient) -> None:
    api.pull()
    dose = first_pending_dose(patient)
    given = timezone.now() - dt.timedelta(minutes=20)
    (result,) = api.push([api.edit("doses", dose.pk, status="taken", taken_at=given.isoformat())])
    assert result["status"] == "applied", result
    with system_context("test"):
        assert Dose.objects.get(pk=dose.pk).taken_at == given
    future = timezone.now() + dt.timedelta(hours=2)
    (later,) = api.push(
        [
            api.edit(
                "doses",
                first_pending_dose(patient).pk,
                status="taken",
                taken_at=future.isoformat(),
            )
        ]
    )
    assert later["status"] == "error"
    assert "taken_at" in later["error"]["fields"]


def test_a_dose_i_recorded_is_not_silently_rewritten(api: Api, patient: Patient) -> None:
    api.pull()
    dose = first_pending_dose(patient)
    at = timezone.now() - dt.timedelta(minutes=30)
    taken = api.edit("doses", dose.pk, status="taken", taken_at=at.isoformat())
    assert statuses(api.push([taken])) == ["applied"]
    assert statuses(api.push([taken])) == ["unchanged"]
    moved = {**taken, "data": {"status": "taken", "taken_at": timezone.now().isoformat()}}
    (result,) = api.push([moved])
    assert result["status"] == "conflict"  # the server keeps the time first recorded
    assert result["conflict"]["server"]["record"]["taken_at"] == taken["data"]["taken_at"].replace(
        "+00:00", "Z"
    )
    long_ago = timezone.now() - dt.timedelta(days=8)
    other = first_pending_dose(patient)
    (old,) = api.push([api.edit("doses", other.pk, status="taken", taken_at=long_ago.isoformat())])
    assert "taken_at" in old["error"]["fields"]


def test_an_edit_based_on_an_old_version_is_a_conflict_when_the_same_field_changed(
    api: Api, primary: User, secondary: User, patient: Patient
) -> None:
    api.pull()
    bob = Api(make_token(secondary, "Bob's phone"))
    bob.pull()
    with system_context("test"):
        reading = Measurement.objects.filter(patient=patient).first()
    assert statuses(bob.push([bob.edit("measurements", reading.pk, notes="Bob's note")])) == [
        "applied"
    ]
    (result,) = api.push([api.edit("measurements", reading.pk, notes="Alice's note")])
    assert result["status"] == "conflict"
    assert result["conflict"]["server"]["record"]["notes"] == "Bob's note"
    assert result["conflict"]["client"]["data"] == {"notes": "Alice's note"}
    with system_context("test"):
        assert Measurement.objects.get(pk=reading.pk).notes == "Bob's note"
    # A field nobody else touched is applied over the newer version, keeping Bob's note.
    (merged,) = api.push([api.edit("measurements", reading.pk, context="resting")])
    assert merged["status"] == "applied"
    assert (merged["record"]["notes"], merged["record"]["context"]) == ("Bob's note", "resting")
    # Without base values a stale edit cannot be merged safely.
    stale = api.edit("measurements", reading.pk, label="left arm")
    del stale["base"]
    assert statuses(api.push([stale])) == ["conflict"]


def test_one_bad_item_gets_its_own_error_and_leaves_nothing_behind(
    api: Api, patient: Patient
) -> None:
    with system_context("test"):
        medication = Medication.objects.get(patient=patient, name="Metformin")
        schedules_before = MedicationSchedule.objects.count()
        doses_before = Dose.objects.count()
    now = timezone.now()
    good = new_item(
        "measurements",
        patient.pk,
        type="heart_rate",
        value="72",
        unit="/min",
        measured_at=now.isoformat(),
    )
    items = [
        new_item(
            "schedules",
            patient.pk,
            medication_id=str(medication.pk),
            frequency="weekly",
            times_of_day=["09:00"],
            days_of_week=[],  # weekly needs weekdays: the form's rule
            start_date=str(patient.today(now)),
        ),
        good,
        new_item(
            "measurements",
            patient.pk,
            type="heart_rate",
            value="900",
            unit="/min",
            measured_at=now.isoformat(),
        ),
        new_item("measurements", patient.pk, type="weight", value="abc", unit="kg"),
        new_item("appointments", patient.pk, title="", starts_at="tomorrow"),
        {"entity": "nonsense", "op": "upsert", "id": "x", "patient_id": "y"},
        "not an object",
    ]
    results = api.push(items)
    assert statuses(results) == ["error", "applied", "error", "error", "error", "error", "error"]
    assert results[0]["error"]["code"] == "invalid"
    assert results[2]["error"]["fields"]  # an impossible heart rate, as on the web form
    assert set(results[3]["error"]["fields"]) >= {"value"}
    assert {"title", "starts_at"} <= set(results[4]["error"]["fields"]) | {"title"}
    with system_context("test"):
        assert MedicationSchedule.objects.count() == schedules_before
        assert Dose.objects.count() == doses_before
        assert Measurement.objects.filter(pk=good["id"]).exists()


def test_as_needed_limits_hold_offline_too(api: Api, patient: Patient, prn: Medication) -> None:
    now = timezone.now()
    given = [
        new_item(
            "doses",
            patient.pk,
            medication_id=str(prn.pk),
            taken_at=(now - dt.timedelta(hours=h)).isoformat(),
        )
        for h in (3, 2, 1)
    ]
    results = api.push(given)
    assert statuses(results) == ["applied", "applied", "error"]
    assert results[2]["error"]["code"] == "limit_reached"
    assert "Not yet" in results[2]["error"]["message"]


def test_viewers_may_not_change_and_strangers_find_nothing(
    primary: User, viewer: User, stranger: User, patient: Patient, other_patient: Patient
) -> None:
    vera = Api(make_token(viewer))
    vera.pull()
    dose = first_pending_dose(patient)
    (result,) = vera.push([vera.edit("doses", dose.pk, status="taken")])
    assert result["error"]["code"] == "forbidden"
    charlie = Api(make_token(stranger))
    reading = new_item(
        "measurements",
        patient.pk,
        type="weight",
        value="70",
        unit="kg",
        measured_at=timezone.now().isoformat(),
    )
    stolen = {**reading, "id": str(dose.pk), "entity": "doses", "data": {"status": "taken"}}
    results = charlie.push([reading, stolen])
    assert [r["error"]["code"] for r in results] == ["not_found", "not_found"]
    with system_context("test"):
        assert Dose.objects.get(pk=dose.pk).status == "pending"
        assert not Measurement.objects.filter(pk=reading["id"]).exists()


def test_every_table_edits_round_trip(
    api: Api, primary: User, secondary: User, patient: Patient
) -> None:
    api.pull()
    held = api.mirror.records
    pick = {entity: next(iter(records)) for entity, records in held.items()}
    bob_row = next(
        i for i, r in held["team"].items() if r["data"]["caregiver_id"] == str(secondary.pk)
    )
    edits = [
        # First: the time zone change below moves the future doses (new records).
        api.edit("doses", first_pending_dose(patient).pk, status="skipped", skip_reason="asleep"),
        api.edit("patients", patient.pk, timezone="Europe/Lisbon"),
        api.edit("team", bob_row, role="viewer"),
        api.edit("medications", pick["medications"], instructions="with food"),
        api.edit("schedules", pick["schedules"], times_of_day=["07:30:00", "19:30:00"]),
        api.edit("measurements", pick["measurements"], notes="checked twice"),
        api.edit("daily_logs", pick["daily_logs"], energy=2),
        api.edit("appointments", pick["appointments"], location="Room 4"),
        api.edit("files", pick["files"], note="from the pharmacy"),
    ]
    results = api.push(edits)
    assert statuses(results) == ["applied"] * len(edits), results[-1]
    api.pull()
    assert held["patients"][str(patient.pk)]["data"]["timezone"] == "Europe/Lisbon"
    assert held["team"][bob_row]["data"]["role"] == "viewer"
    assert held["medications"][pick["medications"]]["data"]["instructions"] == "with food"
    assert held["schedules"][pick["schedules"]]["data"]["times_of_day"] == ["07:30:00", "19:30:00"]
    assert held["files"][pick["files"]]["data"]["note"] == "from the pharmacy"
    deletes = [
        {"entity": entity, "op": "delete", "id": pick[entity], "patient_id": str(patient.pk)}
        for entity in ("measurements", "daily_logs", "appointments", "files")
    ]
    assert statuses(api.push(deletes)) == ["applied"] * 4
    assert statuses(api.push(deletes)) == ["unchanged"] * 4
    api.pull()
    for entity in ("measurements", "daily_logs", "appointments", "files"):
        assert pick[entity] not in held.get(entity, {})
    (stop,) = api.push([api.edit("medications", pick["medications"], status="paused")])
    assert stop["record"]["status"] == "paused"


def test_bad_requests_get_clear_answers(api: Api, patient: Patient) -> None:
    client = api.client
    assert (
        client.post("/api/v1/sync/push", "nope", content_type="application/json").status_code
        == 400
    )
    assert client.post("/api/v1/sync/push", {"changes": []}).status_code == 415
    response = client.post("/api/v1/sync/push", {"changes": "x"}, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"]["message"]
    many = [new_item("measurements", patient.pk)] * 201
    assert api.post(many).status_code == 413
    assert client.get("/api/v1/sync/push").status_code == 405


def test_each_push_is_logged_with_its_counts(api: Api, primary: User, patient: Patient) -> None:
    api.pull()
    reading = new_item(
        "measurements",
        patient.pk,
        type="weight",
        value="70",
        unit="kg",
        measured_at=timezone.now().isoformat(),
    )
    api.push([reading, new_item("measurements", patient.pk, type="weight", value="x", unit="kg")])
    with acting_as(primary.pk):
        log = SyncLog.objects.filter(direction="push", client_id="test-phone").get()
    assert (log.items, log.applied, log.conflicts, log.errors_count, log.status) == (
        2,
        1,
        0,
        1,
        "partial",
    )
    assert log.errors[0]["code"] == "invalid"


def test_a_new_patient_made_offline_gets_its_care_team(api: Api, primary: User) -> None:
    new_id = str(uuid.uuid4())
    item = {
        "entity": "patients",
        "op": "upsert",
        "id": new_id,
        "patient_id": new_id,
        "data": {
            "name": "Tomás Offline",
            "dob": "1950-06-01",
            "gender": "male",
            "emergency_contact": {"name": "Eva", "phone": "+34600000000", "relationship": "wife"},
            "timezone": "Europe/Madrid",
        },
    }
    assert statuses(api.push([item])) == ["applied"]
    assert statuses(api.push([item])) == ["unchanged"]
    api.pull()
    assert new_id in api.mirror.records["patients"]
    (member,) = [m for m in api.mirror.records["team"].values() if m["patient_id"] == new_id]
    assert (member["data"]["caregiver_id"], member["data"]["role"]) == (str(primary.pk), "primary")


def test_a_record_deleted_meanwhile_is_reported_as_gone(
    api: Api, primary: User, patient: Patient
) -> None:
    reading = add_reading(primary, patient, "weight", Decimal(70))
    api.pull()
    with system_context("test"):
        Measurement.objects.filter(pk=reading.pk).delete()
    (result,) = api.push([api.edit("measurements", reading.pk, notes="too late")])
    assert result["status"] == "error"
    assert result["error"]["code"] == "gone"


def test_a_reading_keeps_its_type_and_a_left_member_is_left_once(
    api: Api, primary: User, secondary: User, patient: Patient
) -> None:
    api.pull()
    with system_context("test"):
        reading = Measurement.objects.filter(patient=patient, type="blood_pressure").first()
    (result,) = api.push([api.edit("measurements", reading.pk, type="heart_rate")])
    assert result["status"] == "error"
    bob = Api(make_token(secondary, "Bob's phone"))
    bob.pull()
    bob_row = next(
        i
        for i, r in bob.mirror.records["team"].items()
        if r["data"]["caregiver_id"] == str(secondary.pk)
    )
    leave = {"entity": "team", "op": "delete", "id": bob_row, "patient_id": str(patient.pk)}
    assert statuses(bob.push([leave])) == ["applied"]
    (again,) = api.push([leave])  # Alice replays what Bob did: nothing more happens
    assert again["status"] == "unchanged"
