"""Load the demo data a new developer sees after ``make run`` (DEBUG only)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from accounts import services as accounts
from accounts.models import User
from medtrack.rls import acting_as
from patients import services as patients

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
                    patients.patient_create(actor=user, **family["patient"])
            created += 1
        if created:
            self.stdout.write(self.style.SUCCESS(f"Created {created} demo family(ies)."))
        elif options["verbosity"] >= 2:
            self.stdout.write("The demo data already exists; nothing to do.")
