"""``flush``, run as the schema owner: TRUNCATE is never granted to the app role."""

from __future__ import annotations

from typing import Any

from django.core.management.commands import flush

from medtrack.db import schema_owner_connection


class Command(flush.Command):
    help = "Empty every table as the schema owner role (the app role may not TRUNCATE)."

    def handle(self, **options: Any) -> None:
        with schema_owner_connection(options["database"]):
            super().handle(**options)
