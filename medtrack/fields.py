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
from typing import TYPE_CHECKING, Any

from django.contrib.postgres.fields import ArrayField as PostgresArrayField
from django.contrib.postgres.functions import RandomUUID
from django.db import models
from django.utils import timezone

from medtrack.db import TransactionNow

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


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


def patient_fk() -> models.ForeignKey[Any, Any]:
    """``patient_id → patients ON DELETE CASCADE`` (in the database), unindexed:
    each table leads a composite index with it."""
    from django.utils.translation import gettext_lazy as _

    return models.ForeignKey(
        "patients.Patient",
        on_delete=models.DB_CASCADE,
        related_name="+",
        verbose_name=_("patient"),
        db_index=False,
    )


def author_fk(verbose_name: StrOrPromise, *, null: bool = True) -> models.ForeignKey[Any, Any]:
    """Who wrote a row: ``→ users`` with no delete action (accounts are scrubbed,
    never deleted: DESIGN.md "Deletes")."""
    from django.conf import settings

    return models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.DO_NOTHING,
        null=null,
        blank=null,
        related_name="+",
        verbose_name=verbose_name,
        db_index=False,
    )
