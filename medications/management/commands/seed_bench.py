"""Synthetic families for measuring speed (the benchmark issue extends it)."""

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

ZONES = [
    "Europe/Madrid",
    "America/New_York",
    "Australia/Sydney",
    "Europe/Berlin",
    "America/Chicago",
]
TIMES = [dt.time(8), dt.time(14), dt.time(20), dt.time(7, 30), dt.time(22)]
BATCH = 2000


class Command(BaseCommand):
    help = (
        "Create --families synthetic families (one caregiver, one patient, --medications "
        "medications each taken --times times a day), reproducibly from --seed, with bulk "
        "inserts. For benchmark databases only: refuses to run unless DEBUG is on. Then "
        "`manage.py generate_doses` materialises their doses."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--families", type=int, default=100)
        parser.add_argument("--medications", type=int, default=5)
        parser.add_argument("--times", type=int, default=3, choices=range(1, len(TIMES) + 1))
        parser.add_argument("--seed", type=int, default=1)

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG:
            raise CommandError("seed_bench only runs with DEBUG on (benchmark databases).")
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
                f"Created {options['families']} families in {time.monotonic() - started:.1f} s."
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
