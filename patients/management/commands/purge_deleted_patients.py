"""Delete, for good, patients deleted longer ago than the retention period."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from patients import services


class Command(BaseCommand):
    help = (
        "Permanently delete patients that were deleted more than PATIENT_RETENTION_DAYS "
        f"(now {settings.PATIENT_RETENTION_DAYS}) days ago. Until then a primary caregiver "
        "can restore them. Every row of theirs goes with them (database cascade); the "
        "audit history stays. Runs in system context; safe to run repeatedly (cron)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="List them; delete nothing.")

    def handle(self, *args: Any, **options: Any) -> None:
        dry_run = options["dry_run"]
        purged = services.patients_purge(now=timezone.now(), dry_run=dry_run)
        verb = "Would purge" if dry_run else "Purged"
        if options["verbosity"] >= 2:
            for patient in purged:
                self.stdout.write(f"  {patient.pk} (deleted {patient.deleted_at:%Y-%m-%d})")
        self.stdout.write(self.style.SUCCESS(f"{verb} {len(purged)} patient(s)."))
