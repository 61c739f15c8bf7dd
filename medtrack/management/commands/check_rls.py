"""Report any patient table that row level security does not guard."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from medtrack import rls_report


class Command(BaseCommand):
    help = (
        "Check the database's row level security and exit 1 if anything is wrong, with one "
        "line per problem: a patient-scoped table (a patient_id column, patients, "
        "file_shares, and every history table) without RLS enabled, owned by a role other "
        f"than DATABASE_OWNER_ROLE ({settings.DATABASE_OWNER_ROLE}), missing its policies for "
        "the app role, or without its pghistory triggers; a history table missing; the app "
        "role owning any table; either role a superuser or BYPASSRLS. Also prints both "
        "roles' attributes. Changes nothing; run it after every migrate or restore."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["verbosity"] >= 1:
            roles = rls_report.role_lines(
                app_role=rls_report.app_role(), owner_role=settings.DATABASE_OWNER_ROLE
            )
            for line in roles:
                self.stdout.write(line)
        found = rls_report.configured_problems()
        for line in found:
            self.stdout.write(self.style.ERROR(line))
        if found:
            raise CommandError(f"{len(found)} row level security problem(s).", returncode=1)
        self.stdout.write(self.style.SUCCESS("Row level security: no problems found."))
