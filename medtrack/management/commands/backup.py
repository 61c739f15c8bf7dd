"""Back up the embedded database to a file (``make backup``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from medtrack import backup


class Command(BaseCommand):
    help = (
        "Dump the embedded PostgreSQL's app database with its bundled pg_dump (custom "
        "format, -Fc) as the owner role, so every row is in it whatever row level security "
        "says, to var/backups/medtrack-<UTC time>.dump or --output; the file is created "
        "0600 and never overwritten, and its path is printed. Changes nothing in the "
        "database. Restore it with `manage.py restore` (make restore FILE=...). With "
        "DATABASE_URL set (a managed or standalone server) it refuses and says how to back "
        "that server up instead. Run it daily (cron) and copy the files off the machine."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--output", type=Path, help="Write the dump here instead.")

    def handle(self, *args: Any, **options: Any) -> None:
        output = options["output"] or backup.default_output(timezone.now())
        try:
            path = backup.backup(output=output.resolve())
        except FileExistsError as error:
            raise CommandError(f"{output} exists; choose another --output.") from error
        except (backup.ManagedServer, backup.ToolFailed) as error:
            raise CommandError(str(error)) from error
        if options["verbosity"] >= 1:
            size = path.stat().st_size
            self.stdout.write(self.style.SUCCESS(f"Backed up to {path} ({size:,} bytes)."))
        else:
            self.stdout.write(str(path))
