"""Benchmark databases on the embedded PostgreSQL, and data sets kept between runs.

    url = database.use("medtrack_bench_jobs")   # before anything touches Django

``use`` creates the database if it is missing, provisioned like ``medtrack``
(the same two roles: the app logs in, the owner owns; medtrack.dbsetup),
points DATABASE_URL at it, sets Django up and migrates it. Neither the dev
database nor a test database is touched.

A loaded data set is recorded in ``bench_datasets`` (its parameters, when, the
row counts), so the next run finds it and does not load it again: a large set
takes minutes to load, its benchmarks seconds. The table is not a Django
model: it belongs to benchmark databases only (``record``/``recorded``).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any
from urllib.parse import quote

BASE_DIR = Path(__file__).resolve().parent.parent
MARKER = "bench_datasets"


def _admin() -> tuple[str, Any]:
    """The superuser's conninfo on the embedded server, and its socket directory."""
    from medtrack import embedded_db

    info = embedded_db._postmaster_info()
    if info is None or not embedded_db.status():
        raise SystemExit("The embedded PostgreSQL is not running: `make db` first.")
    return embedded_db._conninfo(info[1], "postgres", "postgres"), info[1]


def create(name: str, *, fresh: bool = False) -> str:
    """Create (``fresh``: drop first) and provision database ``name``; the app's URL."""
    import psycopg
    from psycopg import sql

    from medtrack import embedded_db
    from medtrack.dbsetup import provision_server

    if name in (embedded_db.ROLES.database,) or name.startswith("test_"):
        raise SystemExit(f"{name} is not a benchmark database.")
    admin, socket_dir = _admin()
    if fresh:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )
    roles = embedded_db.ROLES
    provision_server(admin, type(roles)(database=name, app=roles.app, owner=roles.owner))
    return f"postgres://{roles.app}@{quote(str(socket_dir), safe='')}/{name}"


def use(name: str, *, fresh: bool = False) -> str:
    """Make ``name`` this process's database: create, point Django at it, migrate."""
    import sys

    url = create(name, fresh=fresh)
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DEBUG", "true")  # local settings defaults; a bench database
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "medtrack.settings")
    if str(BASE_DIR) not in sys.path:
        sys.path.insert(0, str(BASE_DIR))
    import django
    from django.apps import apps

    if apps.ready:  # too late to point Django elsewhere: only the same database will do
        from django.db import connection

        if connection.settings_dict["NAME"] != name:
            raise RuntimeError(f"Django is already set up on {connection.settings_dict['NAME']}")
    else:
        django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)
    return url


def reset(name: str) -> None:
    """Drop and recreate the database Django is using (a data set of other
    parameters is in it), and migrate it again."""
    from django.core.management import call_command
    from django.db import connections

    connections.close_all()
    create(name, fresh=True)
    call_command("migrate", verbosity=0, interactive=False)


def _marker_table() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TABLE IF NOT EXISTS {MARKER} (name text PRIMARY KEY, params jsonb NOT NULL, "
            "loaded_at timestamptz NOT NULL, info jsonb NOT NULL DEFAULT '{}')"
        )


def record(name: str, params: dict[str, Any], info: dict[str, Any]) -> None:
    """Say that data set ``name`` with ``params`` is loaded (``info``: counts, times)."""
    from django.db import connection
    from django.utils import timezone

    from medtrack.rls import system_context

    with system_context("bench_datasets"):
        _marker_table()
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {MARKER} (name, params, loaded_at, info) "  # noqa: S608
                "VALUES (%s, %s, %s, %s) ON CONFLICT (name) DO UPDATE SET "
                "params = EXCLUDED.params, loaded_at = EXCLUDED.loaded_at, info = EXCLUDED.info",
                [name, json.dumps(params), timezone.now(), json.dumps(info)],
            )


def recorded(name: str) -> dict[str, Any] | None:
    """The record of data set ``name``: {"params", "loaded_at", "info"}, or None."""
    from django.db import connection

    from medtrack.rls import system_context

    with system_context("bench_datasets"):
        _marker_table()
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT params, loaded_at, info FROM {MARKER} WHERE name = %s",  # noqa: S608
                [name],
            )
            row = cursor.fetchone()
    if row is None:
        return None
    params, loaded_at, info = (json.loads(v) if isinstance(v, str) else v for v in row)
    return {"params": params, "loaded_at": loaded_at, "info": info}


def vacuum_analyze(tables: list[str]) -> None:
    """What autovacuum would have done by the time the jobs run (visibility map,
    planner statistics), as the owner role: VACUUM runs outside a transaction."""
    from django.conf import settings
    from django.db import connection

    owner = connection.ops.quote_name(settings.DATABASE_OWNER_ROLE)
    with connection.cursor() as cursor:
        cursor.execute(f"SET ROLE {owner}")
        try:
            for table in tables:
                cursor.execute(f'VACUUM (ANALYZE) "{table}"')
        finally:
            cursor.execute("RESET ROLE")
