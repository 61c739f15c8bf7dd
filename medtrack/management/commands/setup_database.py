"""Prepare a standalone PostgreSQL server for the database named in DATABASE_URL."""

from __future__ import annotations

from typing import Any

import dj_database_url
import psycopg
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from medtrack.dbsetup import Roles, provision_server


class Command(BaseCommand):
    help = (
        "Create (or repair) the two roles and the database named in DATABASE_URL on a "
        "standalone PostgreSQL server: medtrack_owner (NOLOGIN) owns the schema and runs "
        "migrations; the DATABASE_URL user (medtrack_app) logs in, owns no table and is "
        "subject to row level security. Neither is a superuser. Idempotent; run it once "
        "per server before `migrate`, as a superuser given by --admin-url."
    )
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--admin-url",
            required=True,
            help="A superuser connection, e.g. postgres://postgres@127.0.0.1:5432/postgres",
        )
        parser.add_argument(
            "--database-url",
            help="The database and app role to prepare (default: DATABASE_URL).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        db = (
            dj_database_url.parse(options["database_url"])
            if options.get("database_url")
            else settings.DATABASES["default"]
        )
        roles = Roles(
            database=db["NAME"],
            app=db["USER"],
            owner=settings.DATABASE_OWNER_ROLE,
            app_password=db.get("PASSWORD") or None,
        )
        if roles.app == roles.owner:
            raise CommandError("DATABASE_URL must name the app role, not the owner role.")
        try:
            done = provision_server(options["admin_url"], roles)
        except psycopg.Error as exc:
            raise CommandError(f"Could not prepare the server: {exc}") from exc
        for line in done:
            if options["verbosity"] >= 1:
                self.stdout.write(f"  {line}")
        self.stdout.write(
            self.style.SUCCESS(
                f"Database {roles.database} is ready for {roles.app} (owner role {roles.owner}). "
                "Next: manage.py migrate"
            )
        )
