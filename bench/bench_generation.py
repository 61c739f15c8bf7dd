"""Benchmark (issue 16): dose generation throughput on its own database.

    .venv/bin/python bench/bench_generation.py --patients 10000

Drops and recreates ``medtrack_bench`` on the embedded PostgreSQL (provisioned
like ``medtrack``, same two roles, migrated as the owner), so neither the dev
database nor a test database is touched. Loads --patients families (one
caregiver, --medications daily medications taken three times a day) with bulk
inserts, then times ``doses_generate`` for --days days and its idempotent
re-run, and writes the numbers to var/bench/generation.json.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import sys
import time
from decimal import Decimal
from pathlib import Path
from urllib.parse import quote

BASE_DIR = Path(__file__).resolve().parent.parent
DATABASE = "medtrack_bench"
TARGETS = {"generate": 60.0, "rerun": 10.0}  # seconds, issue 16
TIMES = [dt.time(8), dt.time(14), dt.time(20), dt.time(7, 30), dt.time(22)]
ZONES = ["Europe/Madrid", "America/New_York", "Australia/Sydney", "Europe/Berlin", "Asia/Tokyo"]
LOADED = ("patients", "patient_caregivers", "medications", "medication_schedules")


def provision() -> str:
    """Recreate the bench database on the embedded server; return the app role's URL."""
    import psycopg
    from psycopg import sql

    from medtrack import embedded_db
    from medtrack.dbsetup import provision_server

    info = embedded_db._postmaster_info()
    if info is None or not embedded_db.status():
        raise SystemExit("The embedded PostgreSQL is not running: `make db` first.")
    admin = embedded_db._conninfo(info[1], "postgres", "postgres")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(DATABASE))
        )
    roles = embedded_db.ROLES
    provision_server(admin, type(roles)(database=DATABASE, app=roles.app, owner=roles.owner))
    return f"postgres://{roles.app}@{quote(str(info[1]), safe='')}/{DATABASE}"


def load(patients: int, medications: int, times: int, seed: int) -> float:
    """Bulk-insert the families, with the history triggers of the loaded tables off."""
    from django.db import connection
    from django.utils import timezone

    from accounts.models import User, UserSettings
    from caregivers.models import CaregiverRole, PatientCaregiver
    from medications.models import Medication, MedicationSchedule
    from medtrack.rls import system_context
    from patients.models import Patient

    rng = random.Random(seed)  # noqa: S311 - reproducible data, not secrets
    today = timezone.localdate()
    started = time.perf_counter()
    with system_context("bench_generation"), connection.cursor() as cursor:
        # As the owner role (system context): only the pghistory triggers, which
        # would record every loaded row; the change index and RLS guards stay on.
        cursor.execute(
            "SELECT tgrelid::regclass::text, tgname FROM pg_trigger "
            "WHERE NOT tgisinternal AND tgname LIKE 'pgtrigger_%%' "
            "AND tgrelid::regclass::text = ANY(%s)",
            [list(LOADED)],
        )
        history = cursor.fetchall()
        for table, trigger in history:
            cursor.execute(f'ALTER TABLE "{table}" DISABLE TRIGGER "{trigger}"')
    # Its own transaction: deferred foreign keys leave trigger events pending until
    # commit, and a table with pending events cannot be altered.
    with system_context("bench_generation"):
        users = User.objects.bulk_create(
            [
                User(email=f"bench-{n}@example.com", name=f"Caregiver {n}", password="!")  # noqa: S106
                for n in range(patients)
            ],
            batch_size=5000,
        )
        UserSettings.objects.bulk_create([UserSettings(user=u) for u in users], batch_size=5000)
        people = Patient.objects.bulk_create(
            [
                Patient(
                    name=f"Bench patient {n}",
                    dob=dt.date(1930, 1, 1) + dt.timedelta(days=rng.randrange(30000)),
                    gender=rng.choice(["female", "male", "other"]),
                    emergency_contact={
                        "name": "C",
                        "phone": "+12025550143",
                        "relationship": "child",
                    },
                    timezone=rng.choice(ZONES),
                    created_by=user,
                )
                for n, user in enumerate(users)
            ],
            batch_size=5000,
        )
        PatientCaregiver.objects.bulk_create(
            [
                PatientCaregiver(
                    patient=p, caregiver=u, role=CaregiverRole.PRIMARY, accepted_at=timezone.now()
                )
                for p, u in zip(people, users, strict=True)
            ],
            batch_size=5000,
        )
        meds = Medication.objects.bulk_create(
            [
                Medication(
                    patient=patient,
                    name=f"Medicine {m}",
                    strength="10 mg",
                    dose_amount=rng.choice([Decimal(1), Decimal(2), Decimal("0.5")]),
                    dose_unit="tablet",
                    start_date=today - dt.timedelta(days=rng.randrange(365)),
                    created_by=user,
                )
                for patient, user in zip(people, users, strict=True)
                for m in range(medications)
            ],
            batch_size=5000,
        )
        MedicationSchedule.objects.bulk_create(
            [
                MedicationSchedule(
                    patient_id=med.patient_id,
                    medication=med,
                    frequency="daily",
                    times_of_day=sorted(rng.sample(TIMES, times)),
                    start_date=med.start_date,
                )
                for med in meds
            ],
            batch_size=5000,
        )
    with system_context("bench_generation"), connection.cursor() as cursor:
        for table, trigger in history:
            cursor.execute(f'ALTER TABLE "{table}" ENABLE TRIGGER "{trigger}"')
    with connection.cursor() as cursor:
        # What autovacuum would have done by the time the job runs.
        cursor.execute("SET ROLE medtrack_owner")
        for table in ("users", *LOADED, "sync_changes"):
            cursor.execute(f'VACUUM ANALYZE "{table}"')
        cursor.execute("RESET ROLE")
    return time.perf_counter() - started


def server_stats() -> dict[str, int]:
    """WAL written and checkpoints requested so far (server-wide), to explain a slow run."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT wal_bytes::bigint, wal_fpi FROM pg_stat_wal")
        wal_bytes, wal_fpi = cursor.fetchone()
        cursor.execute("SELECT current_setting('server_version_num')::int")
        checkpointer = cursor.fetchone()[0] >= 170000  # pg_stat_checkpointer is new in 17
        cursor.execute(
            "SELECT num_requested FROM pg_stat_checkpointer"
            if checkpointer
            else "SELECT checkpoints_req FROM pg_stat_bgwriter"
        )
        (checkpoints,) = cursor.fetchone()
    return {"wal_bytes": wal_bytes, "wal_full_page_images": wal_fpi, "checkpoints": checkpoints}


def timed(now: dt.datetime, days: int) -> tuple[int, float]:
    from doses.generation import doses_generate

    started = time.perf_counter()
    made = doses_generate(now=now, days=days)
    return made, time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=10_000)
    parser.add_argument("--medications", type=int, default=5)
    parser.add_argument("--times", type=int, default=3, choices=range(1, len(TIMES) + 1))
    parser.add_argument("--days", type=int, default=14)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)

    sys.path.insert(0, str(BASE_DIR))
    os.chdir(BASE_DIR)
    url = provision()
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DEBUG", "true")  # local settings defaults; a bench database
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "medtrack.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from medtrack.rls import system_context

    print(f"Database {DATABASE} recreated on the embedded server; migrating…", flush=True)
    call_command("migrate", verbosity=0, interactive=False)
    loaded = load(args.patients, args.medications, args.times, args.seed)
    print(
        f"Loaded {args.patients} patients x {args.medications} medications x {args.times} "
        f"times in {loaded:.1f} s (bulk inserts; pghistory triggers of {', '.join(LOADED)} "
        "disabled while loading, as the owner role, and enabled again).",
        flush=True,
    )
    now = timezone.now()
    before = server_stats()
    made, first = timed(now, args.days)
    after = server_stats()
    again_made, again = timed(now, args.days)
    with system_context("bench_generation"), connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM doses")  # the app role would see none (RLS)
        (total,) = cursor.fetchone()
    results = {
        "patients": args.patients,
        "medications_per_patient": args.medications,
        "times_per_day": args.times,
        "days": args.days,
        "load_seconds": round(loaded, 2),
        "doses_created": made,
        "doses_in_table": total,
        "generate_seconds": round(first, 2),
        "rerun_created": again_made,
        "rerun_seconds": round(again, 2),
        "targets_seconds": TARGETS,
        "generate_pass": first <= TARGETS["generate"],
        "rerun_pass": again <= TARGETS["rerun"] and again_made == 0,
        # Server-wide deltas during the first run (other databases' writes included).
        "during_generate": {key: after[key] - before[key] for key in after},
        "measured_at": now.isoformat(),
    }
    for label, key, seconds, extra in (
        (f"generation of {made} doses", "generate", first, ""),
        ("idempotent re-run", "rerun", again, f" ({again_made} created)"),
    ):
        verdict = "PASS" if results[f"{key}_pass"] else "FAIL"
        print(f"{verdict}  {label}: {seconds:.1f} s{extra} (target ≤ {TARGETS[key]:.0f} s)")
    out = BASE_DIR / "var" / "bench" / "generation.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2) + "\n")
    print(f"Wrote {out.relative_to(BASE_DIR)}")
    return 0 if results["generate_pass"] and results["rerun_pass"] else 1


if __name__ == "__main__":
    sys.exit(main())
