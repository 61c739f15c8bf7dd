"""Restore the embedded database from a backup (``make restore FILE=...``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from medtrack import backup, rls_report


class Command(BaseCommand):
    help = (
        "Replace the embedded database's contents with a dump made by `manage.py backup`, "
        "using the bundled pg_restore (--clean --if-exists, one transaction: all or "
        "nothing) as the owner role, so every table stays owned by it; then re-apply the "
        "schema grants `migrate` applies and run the check_rls report (exit 1 if it finds "
        "a problem). Stop the app and the job runner first. Run `manage.py migrate` "
        "afterwards when the dump is older than the code. --dry-run reads the file and says "
        "what it holds, changing nothing. With DATABASE_URL set it refuses and says how "
        "to restore a managed server instead."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help="A .dump file made by `manage.py backup`.")
        parser.add_argument(
            "--dry-run", action="store_true", help="Check and describe the file; restore nothing."
        )
        parser.add_argument(
            "--noinput",
            "--no-input",
            action="store_false",
            dest="interactive",
            help="Do not ask for confirmation.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        dump: Path = options["file"].resolve()
        if not dump.is_file():
            raise CommandError(f"{dump} is not a file.")
        database = settings.DATABASES["default"]["NAME"]
        try:
            for line in backup.contents(dump):
                self.stdout.write(f"  {line}")
            if options["dry_run"]:
                self.stdout.write(f"Dry run: {database} was not changed.")
                return
            if options["interactive"]:
                answer = input(f"Replace everything in database {database} with {dump}? [y/N] ")
                if answer.strip().lower() not in ("y", "yes"):
                    raise CommandError("Restore cancelled.")
            backup.restore(dump=dump)
        except (backup.ManagedServer, backup.ToolFailed) as error:
            raise CommandError(str(error)) from error
        self.stdout.write(self.style.SUCCESS(f"Restored {database} from {dump}."))
        found = rls_report.configured_problems()
        for line in found:
            self.stdout.write(self.style.ERROR(line))
        if found:
            raise CommandError(
                f"Restored, but {len(found)} row level security problem(s); run "
                "`manage.py migrate`, then `manage.py check_rls`.",
                returncode=1,
            )
        self.stdout.write(self.style.SUCCESS("Row level security: no problems found."))
