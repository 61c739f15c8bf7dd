"""The push: apply a batch of a client's changes, each on its own, through the services.

Every item runs in its own savepoint: an item that fails leaves nothing
behind and does not stop the others. Records are addressed by ids the client
made, so sending the same batch again finds each record already as sent and
changes nothing (``unchanged``).

Conflicts: an edit names the version it was based on (``base_version``, from
the pull). If the record has changed since, the edit is applied only when no
field it changes was changed by someone else meanwhile (``base`` gives the
client's old values of those fields); otherwise the server keeps its values
and answers ``conflict`` with both versions. A dose someone else already
recorded is a conflict too, never a second record.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, ValidationError
from django.db import DataError, IntegrityError, ProgrammingError, transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from medtrack.db import AlreadyCreated, constraint_name
from patients.access import Level, get_patient_for_user
from patients.models import Patient
from sync.entities import ENTITIES, PSEUDO_FIELDS, parse
from sync.models import Change
from sync.pull import current
from sync.push.doses import record_dose
from sync.push.handlers import CREATES, DELETES, UPDATES, create_patient
from sync.push.results import Item, ItemError, Result, conflict_for, result_for

__all__ = ["MAX_ITEMS", "Result", "push"]

MAX_ITEMS = 200


def push(*, user: User, items: list[Any], now: dt.datetime | None = None) -> list[Result]:
    """Apply each item of a batch; the results in the same order."""
    now = now or timezone.now()
    return [_apply_one(user, raw, now) for raw in items]


def _apply_one(user: User, raw: Any, now: dt.datetime) -> Result:
    entity_name = str(raw.get("entity", "")) if isinstance(raw, dict) else ""
    item_id = str(raw.get("id", "")) if isinstance(raw, dict) else ""
    try:
        item = _item(raw)
        with transaction.atomic():
            return _dispatch(user, item, now)
    except ItemError as error:
        return Result(
            entity_name,
            item_id,
            "error",
            error=error.code,
            message=error.message,
            fields=error.fields,
        )
    except ValidationError as error:
        fields = (
            {name: list(messages) for name, messages in error.message_dict.items()}
            if hasattr(error, "error_dict")
            else {}
        )
        return Result(
            entity_name,
            item_id,
            "error",
            error="invalid",
            message=" ".join(error.messages),
            fields=fields,
        )
    except (Http404, ObjectDoesNotExist):
        return Result(
            entity_name,
            item_id,
            "error",
            error="not_found",
            message=_("No such record, or you may not see it."),
        )
    except ProgrammingError as error:
        if getattr(error.__cause__, "sqlstate", "") != "42501":
            raise
        return Result(
            entity_name,
            item_id,
            "error",
            error="forbidden",
            message=_("This change is not allowed on this record."),
        )
    except (IntegrityError, DataError) as error:
        return Result(
            entity_name,
            item_id,
            "error",
            error="invalid",
            message=_("This change breaks a rule of the record (%(rule)s).")
            % {"rule": constraint_name(error) or _("a value out of range")},
        )
    except PermissionDenied:
        return Result(
            entity_name,
            item_id,
            "error",
            error="forbidden",
            message=_("Your role in this care team does not allow this change."),
        )


def _item(raw: Any) -> Item:
    if not isinstance(raw, dict):
        raise ItemError("invalid", "Each change is an object.")
    entity = ENTITIES.get(str(raw.get("entity", "")))
    if entity is None:
        raise ItemError("invalid", f"entity must be one of {', '.join(ENTITIES)}.")
    op = raw.get("op")
    if op not in ("upsert", "delete"):
        raise ItemError("invalid", "op must be upsert or delete.")
    try:
        item_id = uuid.UUID(str(raw.get("id")))
        patient_id = uuid.UUID(str(raw.get("patient_id")))
    except ValueError:
        raise ItemError("invalid", "id and patient_id must be UUIDs.") from None
    base_version = raw.get("base_version")
    if base_version is not None and (
        isinstance(base_version, bool) or not isinstance(base_version, int)
    ):
        raise ItemError("invalid", "base_version must be the version read from the pull.")
    data = raw.get("data") or {}
    base = raw.get("base")
    if not isinstance(data, dict) or (base is not None and not isinstance(base, dict)):
        raise ItemError("invalid", "data and base must be objects.")
    if entity.name == "patients" and item_id != patient_id:
        raise ItemError("invalid", "A patient's patient_id is its id.")
    return Item(entity, op, item_id, patient_id, data, base_version, base)


# -- Dispatch ----------------------------------------------------------------------------


def _dispatch(user: User, item: Item, now: dt.datetime) -> Result:
    entity = item.entity
    if (
        entity.name == "patients"
        and item.op == "upsert"
        and not Patient.objects.filter(pk=item.id).exists()
    ):
        return create_patient(user, item)
    need = (
        Level.MANAGE
        if entity.name in ("patients", "team") and item.op == "delete"
        else Level.WRITE
    )
    if entity.name == "team":
        need = Level.READ  # leaving is open to everyone; the service checks the rest
    patient = get_patient_for_user(user, item.patient_id, entity.area, need)
    existing = (
        entity.queryset()
        .select_for_update(of=("self",))
        .filter(**{entity.patient_field: patient.pk}, pk=item.id)
        .first()
    )
    if item.op == "delete":
        if existing is None or getattr(existing, "is_active", True) is False:
            return result_for(item, patient, "unchanged")  # already gone: a replay
        if not entity.deletable:
            raise ItemError("not_supported", f"{entity.name} cannot be deleted by sync.")
        DELETES[entity.name](patient=patient, actor=user, instance=existing)
        return result_for(item, patient, "applied")
    if existing is None:
        if Change.objects.filter(entity=entity.name, entity_id=item.id, deleted=True).exists():
            raise ItemError(
                "gone", _("This record was deleted meanwhile: pull to see what is current.")
            )
        if not entity.creatable:
            raise ItemError("not_supported", f"{entity.name} are not created by sync.")
        values = parse(entity, item.data, entity.creatable)
        try:
            CREATES[entity.name](patient=patient, actor=user, item=item, values=values, now=now)
        except AlreadyCreated:
            return result_for(item, patient, "unchanged")
        return result_for(item, patient, "applied")
    values = _edits(item, existing)
    if entity.name == "doses":
        return record_dose(user, patient, item, existing, values, now)
    _instance, version = current(entity, item.id)
    changed = {name: value for name, value in values.items() if getattr(existing, name) != value}
    if not changed:
        return result_for(item, patient, "unchanged")
    if item.base_version is None:
        raise ItemError("invalid", "An edit needs the base_version it was made from.")
    if item.base_version != version and _overlaps(item, existing, changed):
        return conflict_for(item, patient)
    UPDATES[entity.name](patient=patient, actor=user, instance=existing, values=changed, now=now)
    return result_for(item, patient, "applied")


def _edits(item: Item, existing: Any) -> dict[str, Any]:
    """The values of an upsert of an existing record. Fields only a create may
    send are accepted when they still hold what was sent (a create sent again)."""
    entity = item.entity
    values = parse(entity, item.data, (*entity.editable, *entity.creatable))
    for name in [name for name in values if name not in entity.editable]:
        sent = values.pop(name)
        if name not in PSEUDO_FIELDS and getattr(existing, name) != sent:
            raise ValidationError({name: [_("This cannot be changed once made.")]})
    return values


def _overlaps(item: Item, existing: Any, changed: dict[str, Any]) -> bool:
    """Did someone else change a field this edit changes, since the client read it?"""
    if item.base is None:
        return True
    try:
        base = parse(item.entity, item.base, item.entity.editable)
    except ValidationError:
        return True
    return any(name not in base or base[name] != getattr(existing, name) for name in changed)
