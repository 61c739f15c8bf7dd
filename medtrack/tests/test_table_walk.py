"""Every patient-scoped table is guarded by row level security and audited.

The tables are found in the migrated database (any table with ``patient_id``,
plus the history tables), so a table added later is covered automatically.
Each test walks all of them and reports every table that breaks the rule.
"""

from __future__ import annotations

import pytest
from django.conf import settings

from medtrack.rls_report import APPEND_ONLY, DERIVED, READ_ONLY, STAFF_WRITTEN, expected_policies
from medtrack.tests.dbwalk import NO_RLS, history_tables, patient_scoped_tables, rows

pytestmark = [pytest.mark.db_behaviour, pytest.mark.django_db]

APP = settings.DATABASES["default"]["USER"]


def guarded_tables() -> list[str]:
    return sorted(patient_scoped_tables() | history_tables())


def test_the_walk_sees_the_tables_built_so_far() -> None:
    assert {"patients", "patient_caregivers", "access_log", STAFF_WRITTEN} <= (
        patient_scoped_tables()
    )
    assert {"patients_patientevent", "caregivers_patientcaregiverevent"} <= history_tables()


def test_row_level_security_is_on_and_the_owner_role_owns_every_table() -> None:
    problems = []
    for table in guarded_tables():
        ((enabled, owner),) = rows(
            "SELECT relrowsecurity, pg_get_userbyid(relowner) FROM pg_class WHERE oid = %s::regclass",
            [table],
        )
        if not enabled:
            problems.append(f"{table}: row level security is off")
        if owner != settings.DATABASE_OWNER_ROLE:
            problems.append(f"{table}: owned by {owner}")
    assert problems == []


def test_every_table_has_the_policies_for_the_app_role() -> None:
    history = history_tables()
    problems = []
    for table in guarded_tables():
        commands = {
            cmd
            for (cmd,) in rows(
                "SELECT cmd FROM pg_policies WHERE tablename = %s AND %s = ANY (roles)",
                [table, APP],
            )
        }
        expected = expected_policies(table, history)
        if commands != expected:
            problems.append(
                f"{table}: policies for {sorted(commands)}, expected {sorted(expected)}"
            )
    assert problems == []


def test_the_app_may_never_truncate_and_may_not_rewrite_history() -> None:
    history = history_tables()
    problems = []
    for table in guarded_tables():
        privileges = {
            privilege
            for (privilege,) in rows(
                "SELECT privilege_type FROM information_schema.role_table_grants "
                "WHERE table_name = %s AND grantee = %s",
                [table, APP],
            )
        }
        if "TRUNCATE" in privileges:
            problems.append(f"{table}: the app may TRUNCATE")
        if table in READ_ONLY and privileges - {"SELECT"}:
            problems.append(f"{table}: the app may {sorted(privileges - {'SELECT'})}")
        if (table in history or table == APPEND_ONLY) and privileges & {"UPDATE", "DELETE"}:
            problems.append(f"{table}: the app may {sorted(privileges & {'UPDATE', 'DELETE'})}")
    assert problems == []


def test_patient_data_has_history_triggers_except_the_named_exceptions() -> None:
    exceptions = {APPEND_ONLY, DERIVED} | history_tables()
    problems = []
    for table in sorted(patient_scoped_tables() - exceptions):
        triggers = {
            name
            for (name,) in rows(
                "SELECT tgname FROM pg_trigger WHERE tgrelid = %s::regclass", [table]
            )
        }
        for operation in ("insert", "update", "delete"):
            if not any(name.startswith(f"pgtrigger_{operation}_") for name in triggers):
                problems.append(
                    f"{table}: no {operation} history trigger (add @pghistory.track())"
                )
    assert problems == []
    # The exceptions, by name: the access log, the change index, and history tables.
    assert {APPEND_ONLY, DERIVED} | {
        "caregivers_patientcaregiverevent"
    } <= exceptions & patient_scoped_tables()


def test_only_the_named_tables_go_without_row_level_security() -> None:
    unguarded = {
        name
        for (name,) in rows(
            "SELECT relname FROM pg_class WHERE relnamespace = 'public'::regnamespace "
            "AND relkind = 'r' AND NOT relrowsecurity AND relname = ANY (%s)",
            [list(NO_RLS)],
        )
    }
    assert unguarded == NO_RLS


def test_the_rls_helper_functions_are_executable_by_the_app_alone() -> None:
    for function in (
        "rls_patient_ids(text, boolean, text[])",
        "rls_may_bootstrap(uuid, uuid, text)",
    ):
        ((public, app),) = rows(
            "SELECT has_function_privilege('public', %s, 'EXECUTE'), "
            "has_function_privilege(%s, %s, 'EXECUTE')",
            [function, APP, function],
        )
        assert (public, app) == (False, True), function
