"""``manage.py setup_database`` prepares a server for the two-role arrangement, idempotently."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from urllib.parse import quote

import psycopg
import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

pytestmark = pytest.mark.db_behaviour


def admin_url() -> str:
    if settings.EMBEDDED_DATABASE:
        # The embedded server trusts its superuser on the socket.
        host = settings.DATABASES["default"]["HOST"]
        return psycopg.conninfo.make_conninfo(host=host, user="postgres", dbname="postgres")
    url = os.environ.get("DATABASE_ADMIN_URL")
    if not url:
        pytest.skip("Set DATABASE_ADMIN_URL (a superuser) to test setup_database on this server.")
    return url


def app_url(*, database: str = "medtrack", user: str = "medtrack_app") -> str:
    db = settings.DATABASES["default"]
    host = quote(db["HOST"], safe="")
    return f"postgres://{user}@{host}:{db['PORT'] or 5432}/{database}"


@pytest.fixture
def database_name() -> Iterator[str]:
    name = f"medtrack_setup_{uuid.uuid4().hex[:8]}"
    yield name
    with psycopg.connect(admin_url(), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')


def test_it_creates_the_database_owned_by_the_app_with_the_schema_owned_by_the_owner_role(
    database_name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    url = app_url(database=database_name)
    call_command("setup_database", admin_url=admin_url(), database_url=url)
    call_command("setup_database", admin_url=admin_url(), database_url=url)  # idempotent

    assert "is ready for medtrack_app" in capsys.readouterr().out
    target = psycopg.conninfo.make_conninfo(admin_url(), dbname=database_name)
    with psycopg.connect(target) as conn:
        db_owner, schema_owner = conn.execute(
            "SELECT pg_get_userbyid(d.datdba), "
            "(SELECT nspowner::regrole::text FROM pg_namespace WHERE nspname = 'public') "
            "FROM pg_database d WHERE datname = current_database()"
        ).fetchone()
        app_may_create = conn.execute(
            "SELECT has_schema_privilege('medtrack_app', 'public', 'CREATE')"
        ).fetchone()[0]
    assert db_owner == "medtrack_app"
    assert schema_owner == "medtrack_owner"
    assert app_may_create is False


def test_it_refuses_a_database_url_naming_the_owner_role() -> None:
    with pytest.raises(CommandError, match="app role"):
        call_command(
            "setup_database", admin_url=admin_url(), database_url=app_url(user="medtrack_owner")
        )
