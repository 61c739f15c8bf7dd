"""Delete, for good, what was soft-deleted longer ago than its retention period."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from patients import services


class Command(BaseCommand):
    # Patients are the only soft-deleted records with a retention period
    # (DESIGN.md "Deletes"); anything added later belongs here too.
    help = (
        "Permanently delete soft-deleted data past its retention: patients deleted more "
        f"than PATIENT_RETENTION_DAYS (now {settings.PATIENT_RETENTION_DAYS}) days ago, "
        "until when a primary caregiver can restore them. Their files go first (stored "
        "objects, then rows), then the patient, whose rows in every patient table go by "
        "database cascade; the audit history stays. With --dry-run, lists the ids (never "
        "names) and counts of what would go and changes nothing. Runs in system context, one "
        "patient per transaction; idempotent. The job runner (run_jobs) does this every "
        "round."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--dry-run", action="store_true", help="List what would go; delete nothing."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        dry_run: bool = options["dry_run"]
        purged = services.patients_purge(now=timezone.now(), dry_run=dry_run)
        # A dry run lists the ids at the default verbosity: that is what it is for.
        if options["verbosity"] >= (1 if dry_run else 2):
            for patient in purged:
                self.stdout.write(
                    f"  patient {patient.pk} (deleted {patient.deleted_at:%Y-%m-%d})"
                )
        verb = "Would purge" if dry_run else "Purged"
        if options["verbosity"] >= 1:
            self.stdout.write(self.style.SUCCESS(f"{verb} {len(purged)} patient(s)."))
