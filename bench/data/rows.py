"""Rows for the loaded tables, their ids, and writing them with COPY.

Rows are plain tuples in the column order of ``TABLES``; a ``Batch`` holds a
few families' worth and writes them table by table (parents first) with
``COPY … FROM STDIN`` on the Django connection, in system context (the owner
role: row level security does not apply, and the RLS update/delete guards
do not fire on inserts).
"""

from __future__ import annotations

import contextlib
import random
import uuid
from collections.abc import Iterator

from django.db import connection

#: Each loaded table's columns, in load order (parents before children).
TABLES: dict[str, tuple[str, ...]] = {
    "users": (
        "id", "email", "name", "password", "is_superuser", "role", "is_active",
        "created_at", "updated_at",
    ),
    "user_settings": ("user_id", "timezone", "units", "language", "updated_at"),
    "notification_preferences": (
        "user_id", "email_enabled", "channels", "quiet_hours_start", "quiet_hours_end",
        "updated_at",
    ),
    "patients": (
        "id", "name", "dob", "gender", "allergies", "medical_conditions", "emergency_contact",
        "timezone", "created_by", "created_at", "updated_at",
    ),
    "patient_caregivers": (
        "id", "patient_id", "caregiver_id", "role", "permissions", "is_active", "accepted_at",
        "created_at", "updated_at",
    ),
    "measurement_thresholds": (
        "id", "patient_id", "type", "min_value", "max_value", "min_secondary", "max_secondary",
        "updated_by_id", "created_at", "updated_at",
    ),
    "medications": (
        "id", "patient_id", "name", "generic_name", "strength", "form", "dose_amount",
        "dose_unit", "route", "instructions", "reason", "prescriber", "pharmacy", "rx_number",
        "rxnorm_code", "appearance", "is_prn", "prn_max_per_day", "prn_min_interval_hours",
        "start_date", "end_date", "status", "status_changed_on", "status_reason",
        "quantity_on_hand", "refill_threshold", "created_by_id", "created_at", "updated_at",
    ),
    "medication_schedules": (
        "id", "patient_id", "medication_id", "frequency", "times_of_day", "days_of_week",
        "interval", "dose_amount", "start_date", "end_date", "generated_until", "created_at",
        "updated_at",
    ),
    "doses": (
        "id", "patient_id", "medication_id", "schedule_id", "scheduled_for", "status",
        "taken_at", "amount", "recorded_by_id", "skip_reason", "notes", "created_at",
        "updated_at",
    ),
    "measurements": (
        "id", "patient_id", "type", "value", "value_secondary", "unit", "measured_at",
        "context", "source", "recorded_by_id", "out_of_range", "created_at", "updated_at",
    ),
    "daily_logs": (
        "id", "patient_id", "log_date", "mood", "energy", "appetite", "sleep_quality",
        "sleep_hours", "pain_level", "symptoms", "activities", "notes", "created_by_id",
        "created_at", "updated_at",
    ),
    "appointments": (
        "id", "patient_id", "title", "appointment_type", "provider_name", "location",
        "starts_at", "ends_at", "status", "reminder_minutes", "escort_id", "notes", "outcome",
        "created_by_id", "created_at", "updated_at",
    ),
    "files": (
        "id", "patient_id", "measurement_id", "log_id", "file_name", "original_name",
        "filename", "mime_type", "size", "storage_path", "metadata", "uploaded_by",
        "uploaded_at", "note", "updated_at",
    ),
    "notifications": (
        "id", "user_id", "patient_id", "type", "title", "body", "url", "data", "dedupe_key",
        "read_at", "emailed_at", "created_at",
    ),
}  # fmt: skip


class Ids:
    """Reproducible, increasing ids (UUIDv7-shaped: a 48-bit prefix from the seed
    where v7 has its clock, then a counter). Increasing ids append to the primary
    key indexes instead of writing all over them, which keeps COPY fast."""

    def __init__(self, rng: random.Random) -> None:
        self._prefix = rng.getrandbits(48) << 80 | 0x7 << 76 | 0b10 << 62
        self._counter = 0

    def __call__(self) -> uuid.UUID:
        self._counter += 1
        n = self._counter
        return uuid.UUID(int=self._prefix | (n >> 62 & 0xFFF) << 64 | (n & (1 << 62) - 1))


class Batch:
    """Rows waiting to be written, by table."""

    def __init__(self) -> None:
        self.rows: dict[str, list[tuple[object, ...]]] = {table: [] for table in TABLES}

    def add(self, table: str, *row: object) -> None:
        self.rows[table].append(row)

    def __len__(self) -> int:
        return sum(len(rows) for rows in self.rows.values())

    def write(self) -> dict[str, int]:
        """COPY every table's rows (the caller holds system context); how many each."""
        counts = {}
        with connection.cursor() as cursor:
            for table, columns in TABLES.items():
                rows = self.rows[table]
                if not rows:
                    continue
                statement = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
                with cursor.cursor.copy(statement) as copy:
                    for row in rows:
                        copy.write_row(row)
                counts[table] = len(rows)
                rows.clear()
        return counts


def history_triggers(tables: list[str]) -> list[tuple[str, str]]:
    """The pghistory triggers (``pgtrigger_*``) of ``tables``."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tgrelid::regclass::text, tgname FROM pg_trigger "
            "WHERE NOT tgisinternal AND tgname LIKE 'pgtrigger_%%' "
            "AND tgrelid::regclass::text = ANY(%s) ORDER BY 1, 2",
            [tables],
        )
        return list(cursor.fetchall())


@contextlib.contextmanager
def history_off(tables: list[str]) -> Iterator[list[tuple[str, str]]]:
    """Disable the history triggers of ``tables`` for the block (as the owner role),
    and enable them again afterwards, also on an error. Each switch is its own
    transaction: a table with trigger events pending (deferred foreign keys) cannot
    be altered. Other sessions writing these tables meanwhile are not recorded
    either: for benchmark databases only."""
    from medtrack.rls import system_context

    with system_context("bench_data"):
        found = history_triggers(tables)
        _switch(found, "DISABLE")
    try:
        yield found
    finally:
        with system_context("bench_data"):
            _switch(found, "ENABLE")


def _switch(triggers: list[tuple[str, str]], verb: str) -> None:
    with connection.cursor() as cursor:
        for table, trigger in triggers:
            cursor.execute(f'ALTER TABLE "{table}" {verb} TRIGGER "{trigger}"')


#: The tables that get most rows: loaded without their secondary indexes and
#: foreign keys, which are built again afterwards (as pg_restore does).
BIG = ["doses", "measurements", "daily_logs", "notifications"]


def drop_secondary(tables: list[str]) -> list[tuple[str, str, str]]:
    """Drop the foreign keys, unique constraints and plain indexes of ``tables``
    (not primary keys or checks); return (table, name, definition) to rebuild them
    with ``rebuild``. In the caller's transaction, so an error brings them back."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) "
            "FROM pg_constraint WHERE conrelid::regclass::text = ANY(%s) "
            "AND contype IN ('f', 'u') ORDER BY contype DESC, conname",
            [tables],
        )
        constraints = [(t, n, f"ALTER TABLE {t} ADD CONSTRAINT {n} {d}") for t, n, d in cursor]
        cursor.execute(
            "SELECT i.indrelid::regclass::text, c.relname, pg_get_indexdef(i.indexrelid) "
            "FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
            "WHERE i.indrelid::regclass::text = ANY(%s) AND NOT i.indisprimary "
            "AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid) "
            "ORDER BY 2",
            [tables],
        )
        indexes = list(cursor.fetchall())
        for table, name, _definition in constraints:
            cursor.execute(f'ALTER TABLE "{table}" DROP CONSTRAINT "{name}"')
        for _table, name, _definition in indexes:
            cursor.execute(f'DROP INDEX "{name}"')
    # Indexes first, then unique constraints (which the foreign keys may need), then
    # foreign keys: the order ``constraints`` is in (contype 'u' before 'f').
    return indexes + constraints


def rebuild(definitions: list[tuple[str, str, str]]) -> None:
    """Create again what ``drop_secondary`` dropped: one sorted build per index and
    one validating join per foreign key, instead of one per row."""
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
        for _table, _name, definition in definitions:
            cursor.execute(definition)
