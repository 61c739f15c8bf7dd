"""The two-role arrangement: the app logs in as a role that RLS always applies to."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection, transaction
from django.db.utils import ProgrammingError

from medtrack.checks import check_database_role, role_problems

pytestmark = [pytest.mark.db_behaviour, pytest.mark.django_db]


def fetch(sql: str) -> tuple:
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return cursor.fetchone()


def test_tests_run_as_the_app_role() -> None:
    session_user, current_user = fetch("SELECT session_user, current_user")
    assert session_user == current_user == settings.DATABASES["default"]["USER"] == "medtrack_app"


def test_the_app_role_is_neither_superuser_nor_bypassrls_and_does_not_inherit() -> None:
    superuser, bypass, inherit, createrole = fetch(
        "SELECT rolsuper, rolbypassrls, rolinherit, rolcreaterole FROM pg_roles WHERE rolname = session_user"
    )
    assert (superuser, bypass, inherit, createrole) == (False, False, False, False)


def test_the_owner_role_cannot_log_in_and_is_not_superuser() -> None:
    login, superuser, bypass = fetch(
        f"SELECT rolcanlogin, rolsuper, rolbypassrls FROM pg_roles WHERE rolname = '{settings.DATABASE_OWNER_ROLE}'"
    )
    assert (login, superuser, bypass) == (False, False, False)


def test_every_table_view_and_sequence_is_owned_by_the_owner_role() -> None:
    (owners,) = fetch(
        "SELECT array_agg(DISTINCT pg_get_userbyid(relowner)) FROM pg_class "
        "WHERE relnamespace = 'public'::regnamespace AND relkind IN ('r', 'p', 'v', 'm', 'S')"
    )
    assert owners == [settings.DATABASE_OWNER_ROLE]


@pytest.mark.parametrize(
    "statement",
    [
        "CREATE TABLE sneaky (id int)",
        "TRUNCATE users",
        "ALTER TABLE users DISABLE TRIGGER ALL",
        "DROP VIEW profiles",
        "DROP TABLE user_settings",
        "ALTER SCHEMA public OWNER TO medtrack_app",
    ],
)
def test_the_app_role_may_not_change_the_schema(statement: str) -> None:
    with (
        pytest.raises(ProgrammingError, match=r"permission denied|must be owner"),
        transaction.atomic(),
    ):
        fetch(statement)


def test_the_system_check_passes_for_the_app_role() -> None:
    assert check_database_role() == []


def test_the_system_check_names_every_problem_with_a_fix() -> None:
    errors = role_problems(role="postgres", superuser=True, bypass_rls=True, owned=["users"])
    assert [error.id for error in errors] == ["medtrack.E002", "medtrack.E003", "medtrack.E004"]
    assert all("setup_database" in error.hint for error in errors)
    assert "users" in errors[2].msg


def test_the_system_check_is_silent_for_a_well_behaved_role() -> None:
    assert role_problems(role="medtrack_app", superuser=False, bypass_rls=False, owned=[]) == []


def test_migrations_match_the_models() -> None:
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)
