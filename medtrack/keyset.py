"""Keyset pagination ("older than this"): a page costs the same whatever the
history behind it (DESIGN.md "Long lists")."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any, TypeVar

from django.db.models import Model, Q, QuerySet

T = TypeVar("T", bound=Model)


@dataclass
class Page[T: Model]:
    items: list[T]
    #: Pass as ``?before=`` for the next (older) page; None on the last page.
    next_cursor: str | None


def encode(at: dt.datetime, pk: object) -> str:
    return f"{at.isoformat()}|{pk}"


def decode(cursor: str | None) -> tuple[dt.datetime, uuid.UUID] | None:
    """The position in a cursor, or None for a missing or mangled one (first page)."""
    at, _, pk = (cursor or "").partition("|")
    try:
        when, key = dt.datetime.fromisoformat(at), uuid.UUID(pk)
        if when.tzinfo is None:
            return None
        # In UTC: Python allows offsets PostgreSQL refuses (+23:59), and year-edge
        # instants may not exist in UTC at all.
        return when.astimezone(dt.UTC), key
    except (ValueError, OverflowError):
        return None


def page[T: Model](
    queryset: QuerySet[T], *, field: str, cursor: str | None, size: int, ascending: bool = False
) -> Page[T]:
    """Rows by ``field`` (then id), newest first and older than ``cursor`` — or, with
    ``ascending``, soonest first and later than ``cursor``; one query."""
    position = decode(cursor)
    before, after = ("gt", "gte") if ascending else ("lt", "lte")
    if position:
        at, pk = position
        queryset = queryset.filter(**{f"{field}__{after}": at}).filter(
            Q(**{f"{field}__{before}": at}) | Q(**{f"pk__{before}": pk})
        )
    order = [field, "pk"] if ascending else [f"-{field}", "-pk"]
    found = list(queryset.order_by(*order)[: size + 1])
    more = len(found) > size
    items = found[:size]
    last: Any = items[-1] if items else None
    return Page(items, encode(getattr(last, field), last.pk) if more and last else None)
