"""Synthetic families for measuring speed (issue 16)."""

from __future__ import annotations

import datetime as dt
import random
import time
import uuid
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from accounts.models import User, UserSettings
from caregivers.models import CaregiverRole, PatientCaregiver
from medications.models import Medication, MedicationSchedule
from medtrack.rls import system_context
from patients.models import Patient

TIMES = [dt.time(8), dt.time(14), dt.time(20), dt.time(7, 30), dt.time(22)]
ZONES = [
    "Europe/Madrid",
    "America/New_York",
    "Australia/Sydney",
    "Europe/Berlin",
    "America/Chicago",
]
BATCH = 2000
#: ``bench_datasets`` names what this command loaded (bench.database).
DATASET = "seed_bench"


class Command(BaseCommand):
    help = (
        "Load --families realistic synthetic families with --years of history up to now, "
        "reproducibly from --seed: caregivers of 1-5 patients, 3-12 medications each "
        "(daily, weekdays, every N days or hours, as needed, tapers, short courses), the "
        "doses those schedules give (taken, skipped with a reason, missed; pending from "
        "DOSE_MISSED_HOURS ago to DOSE_WINDOW_DAYS ahead), 1-4 vital types a day, journal "
        "entries, appointments, file rows (no stored objects) and the notifications the "
        "jobs would have sent. Bulk COPY in one transaction as the owner role, with the "
        "history (pghistory) triggers of the loaded tables disabled meanwhile and the big "
        "tables' secondary indexes and foreign keys built afterwards; records the set in "
        "bench_datasets. For benchmark databases only: refuses to run unless DEBUG is on. "
        "With --medications (and --times) it makes the old uniform families instead (one "
        "caregiver, one patient, daily schedules, no doses) for `generate_doses` to fill."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--families", type=int, default=100)
        parser.add_argument("--years", type=float, default=1.0, help="History per family.")
        parser.add_argument("--days", type=int, help="History in days (instead of --years).")
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument(
            "--dry-run", action="store_true", help="Build the rows and count them; write none."
        )
        parser.add_argument(
            "--medications", type=int, help="Uniform families: this many daily medications."
        )
        parser.add_argument("--times", type=int, default=3, choices=range(1, len(TIMES) + 1))

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG:
            raise CommandError("seed_bench only runs with DEBUG on (benchmark databases).")
        if options["medications"] is not None:
            self._uniform(options)
            return
        from bench import data, database

        days = options["days"] if options["days"] is not None else round(options["years"] * 365)
        families, seed = options["families"], options["seed"]
        if User.objects.filter(email=data.email_for(seed, 0)).exists():
            raise CommandError(
                f"Families of seed {seed} are in this database already: use another --seed, "
                "or a fresh database (bench.database)."
            )
        now = timezone.now().replace(second=0, microsecond=0)
        verbose = options["verbosity"] >= 1
        started = time.perf_counter()

        def progress(result: data.LoadResult) -> None:
            if verbose and (result.families % 100 == 0 or result.families == families):
                doses = result.counts.get("doses", 0)
                self.stdout.write(
                    f"  {result.families}/{families} families, {doses:,} doses, "
                    f"{time.perf_counter() - started:.0f} s",
                )

        if options["dry_run"]:
            result = data.load(families=families, days=days, seed=seed, now=now, write=False)
            self._summary(result, time.perf_counter() - started, "Would load")
            return
        tables = list(data.TABLES)
        with data.history_off(tables) as triggers:
            if verbose:
                self.stdout.write(
                    f"History (pghistory) triggers disabled while loading: {len(triggers)} on "
                    f"{len({table for table, _name in triggers})} tables; they are enabled "
                    "again afterwards, and the loaded rows have no history."
                )
                self.stdout.write(
                    f"Loading {families} families x {days} days (seed {seed}) with COPY; "
                    f"{', '.join(data.BIG)} without their secondary indexes and foreign keys, "
                    "built again at the end."
                )
            result = data.load(families=families, days=days, seed=seed, now=now, progress=progress)
        if verbose:
            self.stdout.write(
                "History triggers enabled again. VACUUM ANALYZE of the loaded tables…"
            )
        vacuum = time.perf_counter()
        database.vacuum_analyze([*tables, "sync_changes"])
        vacuum = time.perf_counter() - vacuum
        seconds = time.perf_counter() - started
        database.record(
            DATASET,
            {"families": families, "days": days, "seed": seed},
            {
                "now": now.isoformat(),
                "seconds": round(seconds, 1),
                "build_seconds": round(result.build_seconds, 1),
                "write_seconds": round(result.write_seconds, 1),
                "rebuild_seconds": round(result.rebuild_seconds, 1),
                "vacuum_seconds": round(vacuum, 1),
                "counts": dict(result.counts),
            },
        )
        self._summary(result, seconds, "Loaded")
        if verbose:
            self.stdout.write(
                f"  rows built in {result.build_seconds:.0f} s, written in "
                f"{result.write_seconds:.0f} s, indexes and foreign keys in "
                f"{result.rebuild_seconds:.0f} s, VACUUM ANALYZE in {vacuum:.0f} s"
            )

    def _summary(self, result: Any, seconds: float, verb: str) -> None:
        total = sum(result.counts.values())
        self.stdout.write(
            self.style.SUCCESS(
                f"{verb} {result.families} families: {total:,} rows in {seconds:.1f} s."
            )
        )
        for table, count in result.counts.items():
            self.stdout.write(f"  {table:<26} {count:>12,}")

    # -- The uniform families of the dose generation benchmarks ----------------------------

    def _uniform(self, options: dict[str, Any]) -> None:
        rng = random.Random(options["seed"])  # noqa: S311 - reproducible data, not secrets
        started = time.monotonic()
        today = timezone.localdate()
        run = uuid.UUID(int=rng.getrandbits(128)).hex[:8]
        with system_context("seed_bench"):
            for first in range(0, options["families"], BATCH):
                count = min(BATCH, options["families"] - first)
                self._batch(
                    rng, run, first, count, options["medications"], options["times"], today
                )
        self.stdout.write(
            self.style.SUCCESS(
                f"Created {options['families']} uniform families in "
                f"{time.monotonic() - started:.1f} s."
            )
        )

    def _batch(
        self,
        rng: random.Random,
        run: str,
        first: int,
        count: int,
        per_patient: int,
        times: int,
        today: dt.date,
    ) -> None:
        users = [
            User(
                email=f"bench-{run}-{first + n}@example.com",
                name=f"Caregiver {first + n}",
                password="!",  # noqa: S106 - an unusable password: nobody logs in
            )
            for n in range(count)
        ]
        User.objects.bulk_create(users)
        UserSettings.objects.bulk_create([UserSettings(user=user) for user in users])
        patients = [
            Patient(
                name=f"Bench patient {run}-{first + n}",
                dob=dt.date(1930, 1, 1) + dt.timedelta(days=rng.randrange(30000)),
                gender=rng.choice(["female", "male", "other"]),
                emergency_contact={
                    "name": "Contact",
                    "phone": "+12025550143",
                    "relationship": "child",
                },
                timezone=rng.choice(ZONES),
                created_by=user,
            )
            for n, user in enumerate(users)
        ]
        Patient.objects.bulk_create(patients)
        PatientCaregiver.objects.bulk_create(
            [
                PatientCaregiver(
                    patient=p, caregiver=u, role=CaregiverRole.PRIMARY, accepted_at=timezone.now()
                )
                for p, u in zip(patients, users, strict=True)
            ]
        )
        medications = [
            Medication(
                patient=patient,
                name=f"Medicine {m}",
                strength="10 mg",
                dose_amount=rng.choice([Decimal(1), Decimal(1), Decimal(2), Decimal("0.5")]),
                dose_unit="tablet",
                start_date=today - dt.timedelta(days=rng.randrange(365)),
                created_by=user,
            )
            for patient, user in zip(patients, users, strict=True)
            for m in range(per_patient)
        ]
        Medication.objects.bulk_create(medications)
        MedicationSchedule.objects.bulk_create(
            [
                MedicationSchedule(
                    patient_id=medication.patient_id,
                    medication=medication,
                    frequency="daily",
                    times_of_day=sorted(rng.sample(TIMES, times)),
                    start_date=medication.start_date,
                )
                for medication in medications
            ]
        )
