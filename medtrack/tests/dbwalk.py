"""What the table walks iterate: found in the migrated database, never listed by hand."""

from __future__ import annotations

from django.apps import apps
from django.db import connection
from pghistory.models import Event

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


def rows(sql: str, params: list | None = None) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params or [])
        return cursor.fetchall()


def history_tables() -> set[str]:
    return {
        model._meta.db_table
        for model in apps.get_models()
        if issubclass(model, Event) and not model._meta.proxy and model._meta.managed
    }


def patient_scoped_tables() -> set[str]:
    """``patients`` and every base table with a ``patient_id`` column."""
    found = rows(
        """
        SELECT c.relname FROM pg_class c
        JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'patient_id' AND NOT a.attisdropped
        WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p')
        """
    )
    return {"patients"} | {name for (name,) in found}


def personal_tables() -> set[str]:
    """Tables of one person's own rows under row level security: a ``user_id``
    column and no ``patient_id`` (preferences, API tokens, their history)."""
    found = rows(
        """
        SELECT c.relname FROM pg_class c
        JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'user_id' AND NOT a.attisdropped
        WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p')
          AND c.relrowsecurity
          AND NOT EXISTS (
            SELECT 1 FROM pg_attribute p
            WHERE p.attrelid = c.oid AND p.attname = 'patient_id' AND NOT p.attisdropped
          )
        """
    )
    return {name for (name,) in found}


def patient_column(table: str) -> str:
    """The column naming the patient a row belongs to."""
    if table == "patients":
        return "id"
    if table == "patients_patientevent":
        return "pgh_obj_id"
    return "patient_id"
