"""``manage.py check_rls``: clean on the migrated database, and it names what breaks."""

from __future__ import annotations

from io import StringIO

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connection

from medtrack import rls_report
from medtrack.rls import system_context

pytestmark = [pytest.mark.db_behaviour, pytest.mark.django_db]

APP = settings.DATABASES["default"]["USER"]
OWNER = settings.DATABASE_OWNER_ROLE


def check_rls() -> tuple[int, str]:
    out = StringIO()
    try:
        call_command("check_rls", stdout=out)
    except CommandError as error:
        return error.returncode, out.getvalue()
    return 0, out.getvalue()


def as_owner(*statements: str) -> None:
    """Break the schema for real, inside the test's transaction (rolled back after)."""
    with system_context("test: break the schema"), connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)


def test_the_migrated_database_is_clean_and_both_roles_are_listed() -> None:
    code, out = check_rls()

    assert code == 0, out
    assert "Row level security: no problems found." in out
    assert f"{APP}: rolsuper=False rolbypassrls=False rolinherit=False rolcanlogin=True" in out
    assert f"member of {OWNER}" in out
    assert f"{OWNER}: rolsuper=False rolbypassrls=False" in out


def test_a_table_with_row_level_security_disabled_is_named() -> None:
    as_owner("ALTER TABLE medications DISABLE ROW LEVEL SECURITY")

    code, out = check_rls()

    assert code == 1
    assert "medications: row level security is off" in out.splitlines()


def test_a_new_patient_table_without_rls_policies_or_history_is_named() -> None:
    as_owner("CREATE TABLE scratch_notes (id int, patient_id uuid)")

    code, out = check_rls()

    assert code == 1
    lines = out.splitlines()
    assert "scratch_notes: row level security is off" in lines
    assert any(line.startswith(f"scratch_notes: policies for {APP} on []") for line in lines)
    assert "scratch_notes: no insert history trigger (pghistory)" in lines


def test_a_missing_policy_and_a_dropped_history_trigger_are_named() -> None:
    ((trigger,),) = rls_report.django_query(
        "SELECT tgname FROM pg_trigger WHERE tgrelid = 'appointments'::regclass "
        "AND tgname LIKE 'pgtrigger_update_%%'"
    )
    as_owner(
        "DROP POLICY measurements_delete ON measurements",
        f'DROP TRIGGER "{trigger}" ON appointments',
    )

    code, out = check_rls()

    assert code == 1
    lines = out.splitlines()
    assert any(line.startswith("measurements: policies for") for line in lines)
    assert "appointments: no update history trigger (pghistory)" in lines


def test_the_report_runs_on_any_connection() -> None:
    # What `restore` relies on: the same rules through a plain query function.
    assert rls_report.problems(app_role=APP, owner_role=OWNER, query=rls_report.django_query) == []
    assert rls_report.problems(app_role=APP, owner_role="someone_else") != []
