"""Load the demo data a new developer sees after ``make run`` (DEBUG only)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils import timezone

from accounts import services as accounts
from accounts.models import User
from medications import services as medications
from medtrack.rls import acting_as
from patients import services as patients
from patients.access import Area, Level, get_patient_for_user

#: Two families who must never see each other's data.
FAMILIES: list[dict[str, Any]] = [
    {
        "email": settings.DEMO_EMAIL,
        "name": "Demo Caregiver",
        "timezone": "Europe/Madrid",
        "patient": {
            "name": "Rosa García",
            "dob": dt.date(1944, 5, 17),
            "gender": "female",
            "allergies": ["Penicillin", "Shellfish"],
            "medical_conditions": ["Type 2 diabetes", "Hypertension", "Mild dementia"],
            "emergency_contact": {
                "name": "Lucía García",
                "phone": "+34612345678",
                "relationship": "Daughter",
            },
            "timezone": "Europe/Madrid",
        },
    },
    {
        "email": "other-family@example.com",
        "name": "Other Family",
        "timezone": "America/New_York",
        "patient": {
            "name": "Tom Becker",
            "dob": dt.date(2015, 9, 2),
            "gender": "male",
            "allergies": [],
            "medical_conditions": ["Type 1 diabetes"],
            "emergency_contact": {
                "name": "Mia Becker",
                "phone": "+12025550143",
                "relationship": "Mother",
            },
            "timezone": "America/New_York",
        },
    },
]


def _medication_list(today: dt.date) -> list[dict[str, Any]]:
    """A real, messy list: a twice-daily pill, a weekly one, an antibiotic every
    8 hours for a week, an as-needed painkiller and a steroid taper."""
    week = today + dt.timedelta(days=6)
    return [
        {
            "name": "Metformin",
            "strength": "500 mg",
            "dose_unit": "tablet",
            "instructions": "with food",
            "reason": "diabetes",
            "appearance": "white oval tablet",
            "quantity_on_hand": Decimal(40),
            "refill_threshold": Decimal(10),
            "schedule": {"frequency": "daily", "times_of_day": [dt.time(8), dt.time(20)]},
        },
        {
            "name": "Alendronate",
            "strength": "70 mg",
            "dose_unit": "tablet",
            "instructions": "first thing in the morning, with a full glass of water",
            "reason": "bones",
            "schedule": {"frequency": "weekly", "times_of_day": [dt.time(7)], "days_of_week": [1]},
        },
        {
            "name": "Amoxicillin",
            "strength": "500 mg",
            "form": "capsule",
            "dose_unit": "capsule",
            "reason": "chest infection",
            "end_date": week,
            "schedule": {
                "frequency": "every_n_hours",
                "times_of_day": [dt.time(6)],
                "interval": 8,
            },
        },
        {
            "name": "Paracetamol",
            "strength": "1 g",
            "dose_unit": "tablet",
            "reason": "pain",
            "is_prn": True,
            "prn_max_per_day": 4,
            "prn_min_interval_hours": Decimal(6),
        },
        {
            "name": "Prednisone",
            "strength": "5 mg",
            "dose_unit": "tablet",
            "reason": "inflammation",
            "taper": [(Decimal(2), 5), (Decimal(1), 5), (Decimal("0.5"), 3)],
        },
    ]


class Command(BaseCommand):
    help = (
        "Create the demo accounts (demo@example.com and other-family@example.com, password "
        f"{settings.DEMO_PASSWORD!r}) and their patients if missing: two families that must "
        "never see each other. Refuses to run unless DEBUG is on: the demo login is public "
        "knowledge and must never exist in production. Existing data is left alone."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="Say what would be created.")

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG:
            raise CommandError("seed_demo only runs with DEBUG on; the demo login is public.")
        created = 0
        for family in FAMILIES:
            if User.objects.filter(email=family["email"]).exists():
                continue
            if options["dry_run"]:
                self.stdout.write(
                    f"Would create {family['email']} and {family['patient']['name']}."
                )
                continue
            with transaction.atomic():
                user = accounts.user_signup(
                    email=family["email"],
                    name=family["name"],
                    password=settings.DEMO_PASSWORD,
                    timezone=family["timezone"],
                    language="en",
                )
                with acting_as(user.pk):
                    patient = patients.patient_create(actor=user, **family["patient"])
                    self._medications(user, patient)
            created += 1
        if created:
            self.stdout.write(self.style.SUCCESS(f"Created {created} demo family(ies)."))
        elif options["verbosity"] >= 2:
            self.stdout.write("The demo data already exists; nothing to do.")

    def _medications(self, user: User, patient: Any) -> None:
        loaded = get_patient_for_user(user, patient.pk, Area.MEDICATIONS, Level.WRITE)
        today = timezone.localdate()
        for spec in _medication_list(today):
            spec = dict(spec)
            schedule, taper = spec.pop("schedule", None), spec.pop("taper", None)
            medication = medications.medication_create(
                patient=loaded, actor=user, dose_amount=Decimal(1), start_date=today, **spec
            )
            if schedule:
                medications.schedule_create(
                    patient=loaded,
                    actor=user,
                    medication=medication,
                    start_date=today,
                    **{"days_of_week": [], "interval": None, **schedule},
                )
            if taper:
                medications.taper_create(
                    patient=loaded,
                    actor=user,
                    medication=medication,
                    start=today,
                    times=[dt.time(9)],
                    steps=[medications.TaperStep(a, d) for a, d in taper],
                )
