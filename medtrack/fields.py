"""Model fields for tables under row level security.

Each field carries the plan's database default (``DEFAULT now()``,
``gen_random_uuid()``…) for rows written around the ORM, and a Python default
the ORM always sends. Django would otherwise read database defaults back
with ``INSERT … RETURNING``, and PostgreSQL checks returned rows against the
SELECT policy: a new patient is not visible to its creator until the primary
caregiver row exists, so its INSERT would fail.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib.postgres.fields import ArrayField as PostgresArrayField
from django.contrib.postgres.functions import RandomUUID
from django.db import models
from django.utils import timezone

from medtrack.db import TransactionNow


class _SentNotReturned:
    @property
    def db_returning(self) -> bool:
        return False


class UUIDField(_SentNotReturned, models.UUIDField):
    pass


class DateTimeField(_SentNotReturned, models.DateTimeField):
    pass


class BooleanField(_SentNotReturned, models.BooleanField):
    pass


class TextField(_SentNotReturned, models.TextField):
    pass


class JSONField(_SentNotReturned, models.JSONField):
    pass


class ArrayField(_SentNotReturned, PostgresArrayField):
    pass


def uuid_pk() -> UUIDField:
    return UUIDField(primary_key=True, default=uuid.uuid4, db_default=RandomUUID(), editable=False)


def created_at(**kwargs: Any) -> DateTimeField:
    return DateTimeField(
        default=timezone.now, db_default=TransactionNow(), editable=False, **kwargs
    )


def updated_at(**kwargs: Any) -> DateTimeField:
    return DateTimeField(auto_now=True, db_default=TransactionNow(), **kwargs)


def history_indexes(prefix: str, patient_field: str = "patient") -> dict[str, list[models.Index]]:
    """``pghistory.track(meta=...)`` indexes for the Activity page: a patient's
    events by time, and an event's predecessor (to say what changed)."""
    return {
        "indexes": [
            models.Index(
                fields=[patient_field, "pgh_created_at"], name=f"{prefix}_hist_patient_at"
            ),
            models.Index(fields=["pgh_obj", "pgh_id"], name=f"{prefix}_hist_obj"),
        ]
    }


def text_list(**kwargs: Any) -> ArrayField:
    """``TEXT[] DEFAULT '{}'``."""
    return ArrayField(models.TextField(), default=list, db_default=[], blank=True, **kwargs)
