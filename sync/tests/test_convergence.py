"""Late commits are never skipped, and offline clients converge with the server."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import psycopg
import pytest
from django.db import connection
from django.utils import timezone

from accounts.models import User
from conftest import add_reading
from doses.models import Dose
from measurements.models import Measurement
from medtrack.rls import system_context
from patients.models import Patient
from sync.tests.conftest import Api, make_token, new_item

pytestmark = pytest.mark.django_db(transaction=True)


def app_connection() -> psycopg.Connection:
    """A second connection as the app role, outside Django (a transaction of its own)."""
    params = connection.get_connection_params()
    keys = ("dbname", "user", "host", "port", "password")
    return psycopg.connect(**{key: params[key] for key in keys if params.get(key)})


def write_note(db: psycopg.Connection, user: User, reading: Measurement, note: str) -> int:
    """Change a reading in an open transaction of ``db``; the transaction's id."""
    db.execute("SELECT set_config('app.user_id', %s, true)", [str(user.pk)])
    db.execute("UPDATE measurements SET notes = %s WHERE id = %s", [note, reading.pk])
    (txid,) = db.execute("SELECT pg_current_xact_id()::text::bigint").fetchone()
    return int(txid)


@pytest.mark.db_behaviour
def test_a_change_that_commits_late_is_not_skipped(
    api: Api, primary: User, patient: Patient
) -> None:
    early = add_reading(primary, patient, "weight", Decimal(70))
    late = add_reading(primary, patient, "weight", Decimal(71))
    api.pull()
    first, second = app_connection(), app_connection()
    try:
        first_txid = write_note(first, primary, late, "written first, committed last")
        second_txid = write_note(second, primary, early, "written second, committed first")
        assert first_txid < second_txid
        second.commit()
        seen = {change["id"]: change["data"]["notes"] for change in api.pull()}
        assert seen == {str(early.pk): "written second, committed first"}
        first.commit()  # the older transaction commits after the pull above
        seen = {change["id"]: change["data"]["notes"] for change in api.pull()}
        assert seen == {str(late.pk): "written first, committed last"}
        assert api.pull() == []
    finally:
        first.close()
        second.close()


@pytest.mark.db_behaviour
def test_a_transaction_that_rolls_back_leaves_nothing_to_pull(
    api: Api, primary: User, patient: Patient
) -> None:
    reading = add_reading(primary, patient, "weight", Decimal(70))
    api.pull()
    db = app_connection()
    try:
        write_note(db, primary, reading, "never kept")
        assert api.pull() == []
        db.rollback()
        assert api.pull() == []
    finally:
        db.close()


def pending_past_doses(patient: Patient) -> list[Dose]:
    with system_context("test"):
        return list(
            Dose.objects.filter(patient=patient, status="pending").order_by("scheduled_for")[:2]
        )


def test_two_offline_clients_converge_with_the_server(
    primary: User, secondary: User, patient: Patient
) -> None:
    alice, bob = Api(make_token(primary), "alice-phone"), Api(make_token(secondary), "bob-phone")
    alice.pull()
    bob.pull()
    first, second = pending_past_doses(patient)
    with system_context("test"):
        reading = Measurement.objects.filter(patient=patient).first()
    appointment_id = next(iter(alice.mirror.records["appointments"]))
    now = timezone.now()
    # Offline, both record the same dose and change the same reading.
    alice_outbox = [
        alice.edit("doses", first.pk, status="taken", taken_at=now.isoformat()),
        alice.edit("measurements", reading.pk, notes="Alice: measured twice"),
        alice.edit("appointments", appointment_id, location="Room 1"),
        new_item(
            "measurements",
            patient.pk,
            type="heart_rate",
            value="64",
            unit="/min",
            measured_at=(now - dt.timedelta(minutes=5)).isoformat(),
        ),
    ]
    bob_outbox = [
        bob.edit("doses", first.pk, status="taken", taken_at=now.isoformat()),
        bob.edit("doses", second.pk, status="skipped", skip_reason="asleep"),
        bob.edit("measurements", reading.pk, notes="Bob: cuff was loose"),
        bob.edit("measurements", reading.pk, context="resting"),
        new_item(
            "daily_logs",
            patient.pk,
            log_date=str(patient.today(now) - dt.timedelta(days=1)),
            mood=2,
            notes="Bob's evening",
        ),
    ]
    # They sync in turn.
    assert {r["status"] for r in alice.push(alice_outbox)} == {"applied"}
    alice.pull()
    bob_results = bob.push(bob_outbox)
    assert [r["status"] for r in bob_results] == [
        "conflict",  # Alice recorded the dose first: kept, not doubled
        "applied",
        "conflict",  # the same note changed by Alice: the server keeps hers
        "applied",  # another field of the same reading: merged
        "applied",
    ]
    assert bob_results[0]["conflict"]["server"]["record"]["recorded_by_id"] == str(primary.pk)
    bob.pull()
    alice.pull()
    assert alice.mirror.data() == bob.mirror.data()
    fresh = Api(make_token(primary, "Laptop"), "laptop")
    fresh.pull()
    assert fresh.mirror.data() == alice.mirror.data()
    held = alice.mirror.get("measurements", reading.pk)["data"]
    assert (held["notes"], held["context"]) == ("Alice: measured twice", "resting")
    with system_context("test"):
        taken = Dose.objects.get(pk=first.pk)
        assert (taken.status, taken.recorded_by_id) == ("taken", primary.pk)
        assert (
            Dose.objects.filter(schedule=first.schedule, scheduled_for=first.scheduled_for).count()
            == 1
        )
    # Replaying both outboxes changes nothing more (a conflict stays a conflict).
    assert {r["status"] for r in alice.push(alice_outbox)} == {"unchanged"}
    assert [r["status"] for r in bob.push(bob_outbox)] == [
        "conflict",
        "unchanged",
        "conflict",
        "unchanged",
        "unchanged",
    ]
    assert alice.pull() == []
