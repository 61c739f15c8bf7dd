"""Mark care-team invitations past their date as expired."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from caregivers import services


class Command(BaseCommand):
    help = (
        "Mark pending invitations whose link has run out (INVITATION_VALID_DAYS after it was "
        "last sent) as expired, so the team page and the Activity page say so. Links stop "
        "working at their expiry time whether or not this has run. Idempotent; runs in "
        "system context."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="Count them; change nothing.")

    def handle(self, *args: Any, **options: Any) -> None:
        count = services.invitations_expire(now=timezone.now(), dry_run=options["dry_run"])
        verb = "Would expire" if options["dry_run"] else "Expired"
        self.stdout.write(self.style.SUCCESS(f"{verb} {count} invitation(s)."))
