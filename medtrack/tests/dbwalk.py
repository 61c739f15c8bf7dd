"""What the table walks iterate: found in the migrated database, never listed by hand.

The discovery lives in :mod:`medtrack.rls_report` (``manage.py check_rls`` uses it
too); the tests import it from here.
"""

from __future__ import annotations

from typing import Any

from medtrack.rls_report import (
    NO_RLS,
    django_query,
    history_tables,
    patient_column,
    patient_scoped_tables,
    personal_tables,
)

__all__ = [
    "NO_RLS",
    "history_tables",
    "patient_column",
    "patient_scoped_tables",
    "personal_tables",
    "rows",
]


def rows(sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
    return django_query(sql, params or [])
