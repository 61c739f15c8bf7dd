"""Database helpers shared by every app: column defaults and the owner role."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connections, models
from django.db.backends.base.base import BaseDatabaseWrapper
from django.utils.translation import gettext as _

from medtrack.dbsetup import grant_schema_to_owner


class TransactionNow(models.Func):
    """SQL ``now()``, the plan's column default (``Now()`` renders statement_timestamp())."""

    template = "now()"
    output_field = models.DateTimeField()


@contextmanager
def schema_owner_connection(alias: str = "default") -> Iterator[BaseDatabaseWrapper]:
    """Run the enclosed work (``migrate``, ``flush``) as the schema owner role.

    The connection is closed and reopened with Django's ``assume_role``, so
    every statement, including those in separate transactions, runs as the
    owner; the pool option is dropped meanwhile (it deadlocks with
    ``assume_role``). Afterwards the next query reconnects as the app role.
    """
    connection = connections[alias]
    options = connection.settings_dict.setdefault("OPTIONS", {})
    saved = dict(options)
    connection.close()
    # As the app role, which owns the databases it creates (the test
    # databases), let only the owner create objects there.
    connection.ensure_connection()
    grant_schema_to_owner(connection.connection, settings.DATABASE_OWNER_ROLE)
    connection.close()
    options.pop("pool", None)
    options["assume_role"] = settings.DATABASE_OWNER_ROLE
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_user")
            (current,) = cursor.fetchone()
            if current != settings.DATABASE_OWNER_ROLE:
                raise RuntimeError(
                    f"Expected to run as {settings.DATABASE_OWNER_ROLE}, not {current}."
                )
            app_role = connection.ops.quote_name(connection.settings_dict["USER"])
            # No TRUNCATE: it ignores row level security.
            cursor.execute(
                "ALTER DEFAULT PRIVILEGES IN SCHEMA public "
                f"GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {app_role}"
            )
            cursor.execute(
                "ALTER DEFAULT PRIVILEGES IN SCHEMA public "
                f"GRANT USAGE, SELECT ON SEQUENCES TO {app_role}"
            )
        yield connection
    finally:
        connection.close()
        options.clear()
        options.update(saved)


class EditConflict(Exception):
    """Someone else saved the record after this form was opened."""


def same_as_saved(instance: models.Model, values: dict[str, Any]) -> bool:
    """Does ``instance`` already hold ``values``? (The same edit, submitted twice.)"""
    return all(getattr(instance, name) == value for name, value in values.items())


def check_version(current: models.Model, version: Any, values: dict[str, Any]) -> None:
    """Refuse a save over a newer one (``version`` is the ``updated_at`` the form was
    opened with), unless the record already holds ``values``: the same edit sent twice."""
    if version is None or getattr(current, "updated_at", None) == version:
        return
    if not same_as_saved(current, values):
        raise EditConflict


class AlreadyCreated(Exception):
    """A create form was submitted again: its token is the id of the record it made."""

    def __init__(self, record_id: object) -> None:
        super().__init__(record_id)
        self.record_id = record_id


def constraint_name(error: Exception) -> str:
    """The name of the constraint a database IntegrityError is about."""
    return getattr(getattr(error.__cause__, "diag", None), "constraint_name", "") or ""


def stale_form_error() -> ValidationError:
    return ValidationError(
        _("This form was already used. Please reload the page and try again."), code="stale_form"
    )


def already(record_id: object, mine: models.QuerySet[Any]) -> Exception:
    """A repeated form token: ``AlreadyCreated`` if it made one of ``mine`` (a double
    submit), else a stale-form error, so a guessed token reveals nothing."""
    if mine.filter(pk=record_id).exists():
        return AlreadyCreated(record_id)
    return stale_form_error()


def insert_once(instance: models.Model, *, mine: models.QuerySet[Any] | None = None) -> None:
    """INSERT ``instance``, whose id is the form's one-time token.

    A primary-key conflict means the same form was submitted twice (a double
    tap, a retried request): raise ``AlreadyCreated`` instead of a second row
    when the existing row is one of ``mine`` (the records the user may see),
    else a stale-form ``ValidationError``.
    """
    from django.db import IntegrityError, transaction

    try:
        with transaction.atomic():
            instance.save(force_insert=True)
    except IntegrityError as error:
        if constraint_name(error) != f"{instance._meta.db_table}_pkey":
            raise
        if mine is None:
            raise AlreadyCreated(instance.pk) from None
        raise already(instance.pk, mine) from None
