"""The example client (examples/sync_mirror.py) against a live server: it mirrors
what Alice may read, and a day of doses recorded offline reaches the server
exactly once, however often the outbox is pushed.

Transactional: the pull serves only committed changes (it reads snapshots), and
the live server answers on connections of its own.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import json
import os
import subprocess
import sys
from collections import Counter
from decimal import Decimal
from pathlib import Path
from types import ModuleType
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from accounts import tokens
from accounts.models import User
from conftest import add_medication
from doses.models import Dose
from medications.models import Medication
from medtrack.rls import acting_as, system_context
from patients.models import Patient
from sync.entities import ENTITIES, record
from sync.models import SyncLog
from sync.pull import _with_version

pytestmark = pytest.mark.django_db(transaction=True)
MADRID = ZoneInfo("Europe/Madrid")
SCRIPT = Path(__file__).resolve().parents[2] / "examples" / "sync_mirror.py"


@pytest.fixture(autouse=True)
def evening_in_madrid(time_machine) -> None:
    """21:30 in Madrid (20:30 UTC): both of today's doses were due, none recorded yet.
    Time stands still, for the live server's thread too (the patch is process-wide)."""
    time_machine.move_to(dt.datetime(2026, 11, 25, 21, 30, tzinfo=MADRID), tick=False)


@pytest.fixture(scope="module")
def mirror() -> ModuleType:
    """The script, imported from its file (examples/ is not a package)."""
    spec = importlib.util.spec_from_file_location("sync_mirror", SCRIPT)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def sync_token(user: User, name: str = "Kitchen tablet") -> str:
    with acting_as(user.pk):
        _token, secret = tokens.token_create(user=user, name=name, scopes=["sync"])
    return secret


def server_view(user: User) -> dict[str, dict[str, dict[str, Any]]]:
    """What the server holds for ``user``, as the mirror keeps it (entity → id → record)."""
    view: dict[str, dict[str, dict[str, Any]]] = {}
    with acting_as(user.pk):
        for entity in ENTITIES.values():
            rows = {
                str(instance.pk): {
                    "version": instance.sync_version,
                    "patient_id": str(getattr(instance, entity.patient_field)),
                    "data": record(entity, instance),
                }
                for instance in _with_version(entity)
            }
            if rows:
                view[entity.name] = rows
    return view


def held(store: dict[str, Any]) -> dict[str, dict[str, dict[str, Any]]]:
    return {name: rows for name, rows in store["entities"].items() if rows}


def doses_state(patient: Patient) -> dict[str, tuple[Any, ...]]:
    with system_context("test"):
        return {
            str(pk): rest
            for pk, *rest in Dose.objects.filter(patient=patient).values_list(
                "pk",
                "medication_id",
                "scheduled_for",
                "status",
                "taken_at",
                "recorded_by_id",
                "updated_at",
            )
        }


def stock(patient: Patient) -> dict[str, Decimal | None]:
    with system_context("test"):
        return dict(
            Medication.objects.filter(patient=patient).values_list("name", "quantity_on_hand")
        )


def taken_events(dose_ids: list[str]) -> Counter[str]:
    """How often each dose's history shows it becoming taken."""
    with system_context("test"):
        rows = Dose.pgh_event_model.objects.filter(
            pgh_obj_id__in=dose_ids, status="taken"
        ).values_list("pgh_obj_id", flat=True)
        return Counter(str(pk) for pk in rows)


def test_a_day_of_doses_recorded_offline_reaches_the_server_once(
    live_server,
    mirror: ModuleType,
    patient: Patient,
    primary: User,
    secondary: User,
    viewer: User,
    other_patient: Patient,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    add_medication(primary, patient, name="Lisinopril", strength="10 mg")
    with system_context("test"):
        Medication.objects.filter(patient=patient).update(quantity_on_hand=Decimal(30))
    secret = sync_token(primary)
    store_path = tmp_path / "rosa.json"
    online = ["--server", live_server.url, "--token", secret, "--store", str(store_path)]
    online += ["--client-id", "kitchen-tablet", "--limit", "25"]  # several pages

    # The first pull runs the script as it is meant to be run: its own process.
    pulled = subprocess.run(
        [sys.executable, str(SCRIPT), *online, "pull"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": ""},
    )
    assert (pulled.returncode, pulled.stderr) == (0, ""), pulled.stdout
    assert "Pulled " in pulled.stdout
    store = json.loads(store_path.read_text())
    assert store["cursor"]
    assert store["outbox"] == []

    # Rosa and all Alice may read of her; nothing of the stranger's family.
    entities = store["entities"]
    assert set(entities["patients"]) == {str(patient.pk)}
    assert entities["patients"][str(patient.pk)]["data"]["name"] == "Rosa Primary"
    assert sorted(row["data"]["name"] for row in entities["medications"].values()) == [
        "Lisinopril",
        "Metformin",
    ]
    assert len(entities["schedules"]) == 2
    assert {row["data"]["caregiver_id"] for row in entities["team"].values()} == {
        str(primary.pk),
        str(secondary.pk),
        str(viewer.pk),
    }
    for name in ("measurements", "daily_logs", "appointments", "files"):
        assert len(entities[name]) == 1, name
    with system_context("test"):
        assert len(entities["doses"]) == Dose.objects.filter(patient=patient).count() > 25
    assert all(
        row["patient_id"] == str(patient.pk) for rows in entities.values() for row in rows.values()
    )
    assert str(other_patient.pk) not in json.dumps(store)
    assert held(store) == server_view(primary)

    # Today on Rosa's clock: every dose due today, by the script and by the database.
    today = patient.today()
    before = doses_state(patient)
    due_today = sorted(
        (scheduled, pk)
        for pk, (_medication, scheduled, *_rest) in before.items()
        if scheduled and scheduled.astimezone(patient.zone).date() == today
    )
    assert len(due_today) == 4  # two medications, 08:00 and 20:00
    assert sorted(dose["id"] for dose in mirror.doses_today(store)) == sorted(
        pk for _, pk in due_today
    )
    # The fixture already recorded the first (Alice, on time); the other three wait.
    (recorded,) = [pk for _, pk in due_today if before[pk][2] == "taken"]
    assert before[recorded][4] == primary.pk
    assert sorted(before[pk][2] for _, pk in due_today) == ["pending"] * 3 + ["taken"]
    capsys.readouterr()
    assert mirror.main(["--store", str(store_path), "doses-today"]) == 0
    listed = capsys.readouterr().out
    assert listed.count("pending") == 3
    assert "20:00  Lisinopril  pending" in listed

    # Offline: each dose still to give is given five minutes late, typed on Rosa's
    # clock (no offset).
    given_at = {}
    for scheduled, pk in due_today:
        if pk == recorded:
            continue
        given = scheduled + dt.timedelta(minutes=5)
        local = given.astimezone(patient.zone).replace(tzinfo=None).isoformat()
        assert mirror.main(["--store", str(store_path), "take", pk, "--at", local]) == 0
        given_at[pk] = given
    outbox = json.loads(store_path.read_text())["outbox"]
    assert [item["id"] for item in outbox] == [pk for _, pk in due_today if pk != recorded]
    for item in outbox:
        assert (item["entity"], item["op"], item["patient_id"]) == (
            "doses",
            "upsert",
            str(patient.pk),
        )
        assert item["base_version"] == entities["doses"][item["id"]]["version"]
        assert item["data"] == {
            "status": "taken",
            "taken_at": given_at[item["id"]].astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        }
    capsys.readouterr()
    assert mirror.main(["--store", str(store_path), "doses-today"]) == 0
    assert capsys.readouterr().out.count("[outbox: taken]") == 3

    # Online again: push. The dose Alice had recorded stays as it was (one record).
    assert mirror.main([*online, "push"]) == 0
    out = capsys.readouterr().out
    assert "Pushed 3 change(s): 3 applied, 0 unchanged, 0 conflict(s), 0 error(s)" in out
    assert json.loads(store_path.read_text())["outbox"] == []

    after = doses_state(patient)
    assert set(after) == set(before)  # no dose made, none lost
    assert len({(row[0], row[1]) for row in after.values()}) == len(after)  # no duplicates
    for _, pk in due_today:
        _medication, scheduled, status, taken_at, recorded_by, _updated = after[pk]
        expected = scheduled if pk == recorded else given_at[pk]
        assert (status, taken_at, recorded_by) == ("taken", expected, primary.pk)
    untouched = set(before) - set(given_at)
    assert {pk: after[pk] for pk in untouched} == {pk: before[pk] for pk in untouched}
    assert taken_events(list(given_at)) == dict.fromkeys(given_at, 1)
    assert stock(patient) == {"Metformin": Decimal(29), "Lisinopril": Decimal(28)}

    # The same outbox sent again (say the answer was lost): nothing changes.
    store = json.loads(store_path.read_text())
    store["outbox"] = outbox
    store_path.write_text(json.dumps(store))
    assert mirror.main([*online, "push"]) == 0
    out = capsys.readouterr().out
    assert "Pushed 3 change(s): 0 applied, 3 unchanged, 0 conflict(s), 0 error(s)" in out
    assert doses_state(patient) == after
    assert taken_events(list(given_at)) == dict.fromkeys(given_at, 1)
    assert stock(patient) == {"Metformin": Decimal(29), "Lisinopril": Decimal(28)}
    with system_context("test"):
        pushes = SyncLog.objects.filter(client_id="kitchen-tablet", direction="push")
        assert sorted(pushes.values_list("items", "applied", "status")) == [
            (3, 0, "ok"),
            (3, 3, "ok"),
        ]

    # A last pull: the mirror is the server's view, doses and versions included.
    assert mirror.main([*online, "pull"]) == 0
    store = json.loads(store_path.read_text())
    assert held(store) == server_view(primary)
    for pk in given_at:
        assert store["entities"]["doses"][pk]["data"]["status"] == "taken"
        assert store["entities"]["doses"][pk]["data"]["recorded_by_id"] == str(primary.pk)

    # A cursor the server no longer accepts: the script starts again from nothing.
    store["cursor"] = "not-a-cursor"
    store_path.write_text(json.dumps(store))
    capsys.readouterr()
    assert mirror.main([*online, "pull"]) == 0
    assert "fetching everything again" in capsys.readouterr().out
    assert held(json.loads(store_path.read_text())) == server_view(primary)


def test_rate_limited_it_waits_as_told_and_gives_up_in_the_end(
    live_server,
    mirror: ModuleType,
    patient: Patient,
    primary: User,
    settings,
    time_machine,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    settings.SYNC_RATE_LIMIT_PER_MINUTE = 2
    waits: list[float] = []

    def sleep_by_travelling(seconds: float) -> None:  # the server's clock moves on
        waits.append(seconds)
        time_machine.shift(dt.timedelta(seconds=seconds))

    monkeypatch.setattr(mirror, "_sleep", sleep_by_travelling)
    store_path = tmp_path / "mirror.json"
    online = ["--server", live_server.url, "--token", sync_token(primary)]
    online += ["--store", str(store_path), "--limit", "10"]

    assert mirror.main([*online, "pull"]) == 0
    out = capsys.readouterr().out
    assert waits
    assert set(waits) <= {60}
    assert "Rate limited: waiting 60 s" in out
    assert held(json.loads(store_path.read_text())) == server_view(primary)

    # A server that never lets up: a few tries, then an error (and a non-zero exit).
    monkeypatch.setattr(mirror, "_sleep", waits.append)
    settings.SYNC_RATE_LIMIT_PER_MINUTE = 0
    waits.clear()
    assert mirror.main([*online, "pull"]) == 1
    assert len(waits) == mirror.MAX_RETRIES
    assert "HTTP 429 rate_limited" in capsys.readouterr().err


def test_today_is_each_patients_own_day(mirror: ModuleType) -> None:
    """At 02:30 UTC on the 26th it is still the 25th in New York, already the 26th in
    Madrid: each patient's doses of their own today."""
    store = mirror.empty_store()
    for patient_id, zone in (("p-ny", "America/New_York"), ("p-mad", "Europe/Madrid")):
        mirror.apply_change(
            store,
            {
                "entity": "patients",
                "id": patient_id,
                "patient_id": patient_id,
                "version": 1,
                "data": {"name": patient_id, "timezone": zone},
            },
        )
    for dose_id, patient_id, due in (
        ("ny-25", "p-ny", "2026-11-26T01:00:00Z"),  # 20:00 on the 25th in New York
        ("ny-26", "p-ny", "2026-11-26T13:00:00Z"),
        ("mad-25", "p-mad", "2026-11-25T19:00:00Z"),
        ("mad-26", "p-mad", "2026-11-26T07:00:00Z"),  # 08:00 on the 26th in Madrid
    ):
        mirror.apply_change(
            store,
            {
                "entity": "doses",
                "id": dose_id,
                "patient_id": patient_id,
                "version": 2,
                "data": {"scheduled_for": due, "status": "pending", "medication_id": None},
            },
        )
    now = dt.datetime(2026, 11, 26, 2, 30, tzinfo=dt.UTC)
    assert [dose["id"] for dose in mirror.doses_today(store, now)] == ["mad-26", "ny-25"]

    # A patient's tombstone takes all of theirs with it.
    mirror.apply_change(
        store,
        {"entity": "patients", "id": "p-ny", "patient_id": "p-ny", "deleted": True},
    )
    assert set(store["entities"]["patients"]) == {"p-mad"}
    assert set(store["entities"]["doses"]) == {"mad-25", "mad-26"}
