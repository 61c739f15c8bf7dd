"""``migrate``, run as the schema owner role so the app role owns no table."""

from __future__ import annotations

from typing import Any

from django.core.management.commands import migrate

from medtrack.db import schema_owner_connection


class Command(migrate.Command):
    help = "Apply migrations as the schema owner role (medtrack_owner), never as the app role."

    def handle(self, *args: Any, **options: Any) -> None:
        with schema_owner_connection(options["database"]):
            super().handle(*args, **options)
