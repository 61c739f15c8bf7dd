"""Load the demo data a new developer sees after ``make run`` (DEBUG only)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from accounts import services as accounts
from accounts.models import User


class Command(BaseCommand):
    help = (
        "Create the demo account (demo@example.com) and its sample data if they are missing. "
        "Refuses to run unless DEBUG is on: the demo login is public knowledge and must "
        "never exist in production. Safe to run again: existing data is left alone."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="Say what would be created.")

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG:
            raise CommandError("seed_demo only runs with DEBUG on; the demo login is public.")
        if User.objects.filter(email=settings.DEMO_EMAIL).exists():
            if options["verbosity"] >= 2:
                self.stdout.write("The demo account already exists; nothing to do.")
            return
        if options["dry_run"]:
            self.stdout.write(f"Would create the demo account {settings.DEMO_EMAIL}.")
            return
        with transaction.atomic():
            accounts.user_signup(
                email=settings.DEMO_EMAIL,
                name="Demo Caregiver",
                password=settings.DEMO_PASSWORD,
                timezone="Europe/Madrid",
                language="en",
            )
        self.stdout.write(self.style.SUCCESS(f"Created the demo account {settings.DEMO_EMAIL}."))
