"""Expire what has run out: personal tokens, invitations, exports, form drafts."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone
from django.utils.module_loading import import_string

#: What each ``--what`` runs: the service (``now=``, ``dry_run=``), what it counts
#: and what it does to them.
EXPIRIES: dict[str, tuple[str, str, str]] = {
    "tokens": ("accounts.tokens.tokens_prune", "personal token(s)", "deleted"),
    "invitations": ("caregivers.services.invitations_expire", "invitation(s)", "expired"),
    "exports": ("exports.services.exports_expire", "export(s)", "expired, files deleted"),
    "drafts": ("accounts.session_limits.drafts_prune", "form draft(s)", "deleted"),
}


class Command(BaseCommand):
    help = (
        "Expire what has run out, in system context, idempotently: "
        f"tokens — personal tokens revoked or expired more than API_TOKEN_KEEP_DAYS "
        f"({settings.API_TOKEN_KEEP_DAYS}) days ago are deleted (they stopped working at "
        "once; until then their owner sees them listed); "
        "invitations — pending invitations past INVITATION_VALID_DAYS "
        f"({settings.INVITATION_VALID_DAYS}) are marked expired; "
        f"exports — finished exports older than EXPORT_KEEP_DAYS ({settings.EXPORT_KEEP_DAYS}) "
        "are marked expired and their files deleted from storage (exports stuck running are "
        "failed); drafts — form drafts older than FORM_DRAFT_KEEP_DAYS "
        f"({settings.FORM_DRAFT_KEEP_DAYS}) are deleted. The job runner (run_jobs) already "
        "does all of this every round; this command is for doing it now, or seeing what "
        "it would do with --dry-run."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--what",
            default=",".join(EXPIRIES),
            help=f"Comma-separated, from {', '.join(EXPIRIES)} (default: all).",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Count what would expire; change nothing."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        chosen = [name.strip() for name in options["what"].split(",") if name.strip()]
        unknown = sorted(set(chosen) - set(EXPIRIES))
        if unknown or not chosen:
            raise CommandError(
                f"Unknown --what {', '.join(unknown) or '(empty)'}; choose from "
                f"{', '.join(EXPIRIES)}."
            )
        dry_run: bool = options["dry_run"]
        now = timezone.now()
        for name in chosen:
            function, noun, verb = EXPIRIES[name]
            service: Callable[..., int] = import_string(function)
            count = service(now=now, dry_run=dry_run)
            if options["verbosity"] >= 1:
                line = f"{name}: {count} {noun} {'would be ' if dry_run else ''}{verb}"
                self.stdout.write(line if dry_run else self.style.SUCCESS(line))
        if dry_run and options["verbosity"] >= 1:
            self.stdout.write("Dry run: nothing was changed.")
