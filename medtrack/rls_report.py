"""What row level security should guard, and a report of where it does not.

The tables are found in the database (any base table with ``patient_id``, plus
``patients``) and in the models (pghistory's event tables), never listed by
hand, so a table added later is covered automatically. ``manage.py check_rls``
prints :func:`problems` and :func:`role_lines`; the table-walk tests assert the
same rules, and ``manage.py restore`` runs the report on what it restored.

Every function takes a ``query`` (SQL and parameters in, rows out), so the
report also runs on a connection Django does not manage (a restored server).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from django.apps import apps
from django.conf import settings
from django.db import connection
from pghistory.models import Event

Query = Callable[[str, Sequence[Any]], list[tuple[Any, ...]]]

#: Tables that by design carry no row level security (DESIGN.md "Access rules per table";
#: the task queue holds ids only, and the worker must see every task).
NO_RLS = {
    "users",
    "django_session",
    "pghistory_context",
    "django_tasks_database_dbtaskresult",
    # Two-step sign-in (django-otp): authentication data, read like `users` before
    # anyone is signed in (the login's code step, OTPMiddleware on every request).
    "otp_totp_totpdevice",
    "otp_static_staticdevice",
    "otp_static_statictoken",
}

#: The app appends to the access log and can never read it back.
APPEND_ONLY = "access_log"
#: The sync API's change index: an entry per record of the synced tables (which are
#: audited), written only by their SECURITY DEFINER triggers. The app reads it under
#: row level security and may write nothing, so it has no history of its own.
DERIVED = "sync_changes"
#: Staff's emergency access grants (audit.models.BreakGlassGrant): written by staff in
#: system context only; the patient's team may read the grants on its patient, and the
#: app may write none. They have history like any patient table.
STAFF_WRITTEN = "break_glass_grants"
#: Tables the app may read (under row level security) and never write.
READ_ONLY = {DERIVED, STAFF_WRITTEN}
#: Patient data with no ``patient_id`` of its own (a share names a file, which
#: names the patient): guarded and audited like the patient-scoped tables.
INDIRECT = {"file_shares"}


def configured_problems() -> list[str]:
    """:func:`problems` for the roles in settings, on Django's default connection."""
    return problems(app_role=app_role(), owner_role=settings.DATABASE_OWNER_ROLE)


def app_role() -> str:
    return str(connection.settings_dict["USER"])


def django_query(sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
    """Run ``sql`` on Django's default connection."""
    with connection.cursor() as cursor:
        cursor.execute(sql, list(params))
        return cursor.fetchall()


def history_tables() -> set[str]:
    """The tables of pghistory's event models (what ``migrate`` should have made)."""
    return {
        model._meta.db_table
        for model in apps.get_models()
        if issubclass(model, Event) and not model._meta.proxy and model._meta.managed
    }


def patient_scoped_tables(query: Query = django_query) -> set[str]:
    """``patients`` and every base table with a ``patient_id`` column."""
    found = query(
        """
        SELECT c.relname FROM pg_class c
        JOIN pg_attribute a
          ON a.attrelid = c.oid AND a.attname = 'patient_id' AND NOT a.attisdropped
        WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p')
        """,
        [],
    )
    return {"patients"} | {name for (name,) in found}


def personal_tables(query: Query = django_query) -> set[str]:
    """Tables of one person's own rows under row level security: a ``user_id``
    column and no ``patient_id`` (preferences, API tokens, their history)."""
    found = query(
        """
        SELECT c.relname FROM pg_class c
        JOIN pg_attribute a
          ON a.attrelid = c.oid AND a.attname = 'user_id' AND NOT a.attisdropped
        WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p')
          AND c.relrowsecurity
          AND NOT EXISTS (
            SELECT 1 FROM pg_attribute p
            WHERE p.attrelid = c.oid AND p.attname = 'patient_id' AND NOT p.attisdropped
          )
        """,
        [],
    )
    return {name for (name,) in found}


def patient_column(table: str) -> str:
    """The column naming the patient a row belongs to."""
    if table == "patients":
        return "id"
    if table == "patients_patientevent":
        return "pgh_obj_id"
    return "patient_id"


def expected_policies(table: str, history: set[str]) -> set[str]:
    """The commands the app role must have a policy for on a guarded ``table``."""
    if table == APPEND_ONLY:
        return {"INSERT"}
    if table in READ_ONLY:
        return {"SELECT"}  # written as the owner: by triggers, or by staff
    if table in history:
        return {"SELECT", "INSERT"}  # the triggers insert; nobody rewrites history
    return {"SELECT", "INSERT", "UPDATE", "DELETE"}


def problems(*, app_role: str, owner_role: str, query: Query = django_query) -> list[str]:
    """One line per broken rule; empty when row level security guards everything."""
    history = history_tables()
    existing = {name for (name,) in query(_TABLES, [])}
    found: list[str] = [
        f"{table}: table missing (run migrate)"
        for table in sorted((history | INDIRECT) - existing)
    ]
    guarded = sorted(patient_scoped_tables(query) | ((history | INDIRECT) & existing))
    states = {
        name: (enabled, owner)
        for name, enabled, owner in query(
            "SELECT relname, relrowsecurity, pg_get_userbyid(relowner) FROM pg_class "
            "WHERE relnamespace = 'public'::regnamespace AND relname = ANY (%s)",
            [guarded],
        )
    }
    policies: dict[str, set[str]] = {}
    for table, command in query(
        "SELECT tablename, cmd FROM pg_policies WHERE schemaname = 'public' AND %s = ANY (roles)",
        [app_role],
    ):
        policies.setdefault(table, set()).add(command)
    triggers: dict[str, set[str]] = {}
    for table, trigger in query(
        "SELECT c.relname, t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
        "WHERE c.relnamespace = 'public'::regnamespace AND NOT t.tgisinternal",
        [],
    ):
        triggers.setdefault(table, set()).add(trigger)

    unaudited = {APPEND_ONLY, DERIVED} | history
    for table in guarded:
        enabled, owner = states[table]
        if not enabled:
            found.append(f"{table}: row level security is off")
        if owner != owner_role:
            found.append(f"{table}: owned by {owner}, not {owner_role}")
        have, expected = policies.get(table, set()), expected_policies(table, history)
        if have != expected:
            found.append(
                f"{table}: policies for {app_role} on {sorted(have)}, expected {sorted(expected)}"
            )
        if table not in unaudited:
            for operation in ("insert", "update", "delete"):
                if not any(
                    name.startswith(f"pgtrigger_{operation}_") for name in triggers.get(table, ())
                ):
                    found.append(f"{table}: no {operation} history trigger (pghistory)")
    for (table,) in query(
        "SELECT relname FROM pg_class WHERE relnamespace = 'public'::regnamespace "
        "AND relkind IN ('r', 'p', 'v', 'm', 'S') AND pg_get_userbyid(relowner) = %s "
        "ORDER BY relname",
        [app_role],
    ):
        found.append(f"{table}: owned by the app role {app_role}")
    roles = {row[0]: row for row in query(_ROLES, [[app_role, owner_role]])}
    for role in (app_role, owner_role):
        if role not in roles:
            found.append(f"role {role} does not exist")
            continue
        _name, superuser, bypassrls, *_rest = roles[role]
        if superuser:
            found.append(f"role {role} is a superuser (row level security does not apply)")
        if bypassrls:
            found.append(f"role {role} has BYPASSRLS")
    return found


def role_lines(*, app_role: str, owner_role: str, query: Query = django_query) -> list[str]:
    """The attributes of both roles, one line each."""
    lines = []
    for name, superuser, bypassrls, inherit, login, member_of in query(
        _ROLES, [[app_role, owner_role]]
    ):
        lines.append(
            f"{name}: rolsuper={superuser} rolbypassrls={bypassrls} rolinherit={inherit} "
            f"rolcanlogin={login} member of {', '.join(member_of) or 'nothing'}"
        )
    return lines


_TABLES = (
    "SELECT relname FROM pg_class "
    "WHERE relnamespace = 'public'::regnamespace AND relkind IN ('r', 'p')"
)

_ROLES = """
    SELECT r.rolname, r.rolsuper, r.rolbypassrls, r.rolinherit, r.rolcanlogin,
           ARRAY(SELECT g.rolname::text FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid
                 WHERE m.member = r.oid ORDER BY g.rolname)
    FROM pg_roles r WHERE r.rolname = ANY (%s) ORDER BY r.rolname
"""
