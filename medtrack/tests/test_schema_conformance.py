"""The migrated database matches the user's schema plan (see schema_plan.py)."""

from __future__ import annotations

import re

import pytest
from django.db import connection

from medtrack.tests.schema_plan import TABLES, VIEWS, Column

pytestmark = [pytest.mark.db_behaviour, pytest.mark.django_db]

FK_ACTIONS = {
    "a": "NO ACTION",
    "r": "RESTRICT",
    "c": "CASCADE",
    "n": "SET NULL",
    "d": "SET DEFAULT",
}


def rows(sql: str, params: list | None = None) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params or [])
        return cursor.fetchall()


def columns_of(table: str) -> dict[str, tuple[str, str | None, bool]]:
    return {
        name: (data_type if data_type != "ARRAY" else udt_name, default, nullable == "NO")
        for name, data_type, udt_name, default, nullable in rows(
            "SELECT column_name, data_type, udt_name, column_default, is_nullable "
            "FROM information_schema.columns WHERE table_schema = 'public' AND table_name = %s",
            [table],
        )
    }


def index_column_lists(table: str, *, unique_only: bool = False) -> set[tuple[str, ...]]:
    """Column lists of the table's indexes (unique constraints are indexes too)."""
    found = rows(
        """
        SELECT array_agg(a.attname ORDER BY k.ord)
        FROM pg_index i
        CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord)
        JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
        WHERE i.indrelid = %s::regclass AND (NOT %s OR (i.indisunique AND i.indpred IS NULL))
        GROUP BY i.indexrelid
        """,
        [table, unique_only],
    )
    return {tuple(cols) for (cols,) in found}


def foreign_keys(table: str) -> dict[str, tuple[str, str]]:
    found = rows(
        """
        SELECT a.attname, c.confrelid::regclass::text, c.confdeltype
        FROM pg_constraint c
        JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
        WHERE c.conrelid = %s::regclass AND c.contype = 'f'
        """,
        [table],
    )
    return {column: (target, FK_ACTIONS[action]) for column, target, action in found}


@pytest.mark.parametrize("table", TABLES)
def test_every_planned_column_has_the_planned_type_default_and_nullability(table: str) -> None:
    actual = columns_of(table)
    for name, planned in TABLES[table]["columns"].items():
        assert name in actual, f"{table}.{name} is missing"
        data_type, default, not_null = actual[name]
        assert Column(data_type, default, not_null) == planned or (
            # NOT NULL may be added where the plan has a default (DESIGN.md §B).
            planned.default is not None
            and not planned.not_null
            and Column(data_type, default, not_null) == planned._replace(not_null=True)
        ), f"{table}.{name}: planned {planned}, found {(data_type, default, not_null)}"


@pytest.mark.parametrize("table", TABLES)
def test_every_planned_unique_constraint_exists(table: str) -> None:
    actual = index_column_lists(table, unique_only=True)
    for columns in TABLES[table]["unique"]:
        assert tuple(columns) in actual, f"{table}: UNIQUE {columns} is missing"


@pytest.mark.parametrize("table", TABLES)
def test_every_planned_index_exists(table: str) -> None:
    actual = index_column_lists(table)
    for columns in TABLES[table]["indexes"]:
        assert tuple(columns) in actual, f"{table}: index on {columns} is missing"


@pytest.mark.parametrize("table", TABLES)
def test_every_planned_foreign_key_has_the_planned_action(table: str) -> None:
    actual = foreign_keys(table)
    for column, (target, action) in TABLES[table]["foreign_keys"].items():
        assert actual.get(column) == (target, action), f"{table}.{column}: {actual.get(column)}"


@pytest.mark.parametrize("table", TABLES)
def test_every_planned_check_allows_exactly_the_planned_values(table: str) -> None:
    for column, values in TABLES[table].get("checks", {}).items():
        definitions = [
            definition
            for (definition,) in rows(
                "SELECT pg_get_constraintdef(oid) FROM pg_constraint "
                "WHERE conrelid = %s::regclass AND contype = 'c'",
                [table],
            )
            if f"({column} = ANY" in definition
        ]
        assert len(definitions) == 1, f"{table}.{column}: {definitions}"
        allowed = set(re.findall(r"'([^']*)'::text", definitions[0]))
        assert allowed == set(values), f"{table}.{column} allows {allowed}"


@pytest.mark.parametrize("view", VIEWS)
def test_views_standing_in_for_plan_tables_expose_the_planned_columns(view: str) -> None:
    (kind,) = rows("SELECT relkind FROM pg_class WHERE oid = %s::regclass", [view])[0]
    assert kind == "v"
    actual = {name: data_type for name, (data_type, _, _) in columns_of(view).items()}
    assert actual == VIEWS[view]


def test_emails_are_unique_whatever_their_case() -> None:
    (definition,) = rows(
        "SELECT pg_get_indexdef(indexrelid) FROM pg_index "
        "WHERE indrelid = 'users'::regclass AND indisunique AND indexprs IS NOT NULL"
    )[0]
    assert "lower(email)" in definition


def test_user_settings_go_with_their_user() -> None:
    assert foreign_keys("user_settings") == {"user_id": ("users", "CASCADE")}
