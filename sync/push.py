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
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, ValidationError
from django.db import DataError, IntegrityError, transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from appointments import services as appointments
from caregivers import services as caregivers
from doses import services as doses
from doses.models import DoseStatus
from files import services as files
from journal import services as journal
from measurements import services as measurements
from medications import services as medications
from medications.models import Medication
from medtrack.db import AlreadyCreated, constraint_name
from patients import services as patients
from patients.access import Level, get_patient_for_user
from patients.forms import PatientForm
from patients.models import Patient
from sync.entities import ENTITIES, PSEUDO_FIELDS, Entity, parse, record
from sync.models import Change
from sync.pull import current

MAX_ITEMS = 200
#: A dose recorded offline may say when it was given, within these bounds.
CLOCK_SKEW = dt.timedelta(minutes=5)
OFFLINE_LIMIT = dt.timedelta(days=7)
EARLY_LIMIT = dt.timedelta(hours=12)


@dataclass
class Result:
    entity: str
    id: str
    status: str  # applied | unchanged | conflict | error
    version: int | None = None
    record: dict[str, Any] | None = None
    conflict: dict[str, Any] | None = None
    error: str = ""
    message: str = ""
    fields: dict[str, list[str]] = field(default_factory=dict)
    patient_id: uuid.UUID | None = None

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"entity": self.entity, "id": self.id, "status": self.status}
        if self.status == "error":
            out["error"] = {"code": self.error, "message": self.message, "fields": self.fields}
        else:
            out["version"] = self.version
            out["record"] = self.record
        if self.conflict is not None:
            out["conflict"] = self.conflict
        return out


class ItemError(Exception):
    def __init__(self, code: str, message: str, fields: dict[str, list[str]] | None = None):
        super().__init__(message)
        self.code, self.message, self.fields = code, message, fields or {}


class Conflict(Exception):
    """The server keeps its version of the record."""


@dataclass
class Item:
    entity: Entity
    op: str
    id: uuid.UUID
    patient_id: uuid.UUID
    data: dict[str, Any]
    base_version: int | None
    base: dict[str, Any] | None
    raw: dict[str, Any]


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
    return Item(entity, op, item_id, patient_id, data, base_version, base, raw)


# -- Dispatch ----------------------------------------------------------------------------


def _dispatch(user: User, item: Item, now: dt.datetime) -> Result:
    entity = item.entity
    if (
        entity.name == "patients"
        and item.op == "upsert"
        and not Patient.objects.filter(pk=item.id).exists()
    ):
        return _create_patient(user, item)
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
        if existing is None:
            return _result(item, patient, "unchanged")  # already gone: a replay
        if not entity.deletable:
            raise ItemError("not_supported", f"{entity.name} cannot be deleted by sync.")
        DELETES[entity.name](patient=patient, actor=user, instance=existing)
        return _result(item, patient, "applied")
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
            return _result(item, patient, "unchanged")
        return _result(item, patient, "applied")
    values = _edits(item, existing)
    if entity.name == "doses":
        return _record_dose(user, patient, item, existing, values, now)
    _instance, version = current(entity, item.id)
    changed = {name: value for name, value in values.items() if getattr(existing, name) != value}
    if not changed:
        return _result(item, patient, "unchanged")
    if item.base_version is None:
        raise ItemError("invalid", "An edit needs the base_version it was made from.")
    if item.base_version != version and _overlaps(item, existing, changed):
        return _conflict(item, patient)
    UPDATES[entity.name](patient=patient, actor=user, instance=existing, values=changed, now=now)
    return _result(item, patient, "applied")


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


def _result(item: Item, patient: Patient, status: str) -> Result:
    instance, version = current(item.entity, item.id)
    data = record(item.entity, instance) if instance is not None else None
    return Result(
        item.entity.name,
        str(item.id),
        status,
        version=version,
        record=data,
        patient_id=patient.pk,
    )


def _conflict(item: Item, patient: Patient) -> Result:
    result = _result(item, patient, "conflict")
    result.conflict = {
        "server": {"version": result.version, "record": result.record},
        "client": {"base_version": item.base_version, "data": item.data},
    }
    return result


# -- Doses -------------------------------------------------------------------------------


def _given_at(
    values: dict[str, Any], now: dt.datetime, scheduled: dt.datetime | None
) -> dt.datetime:
    at = values.get("taken_at") or now
    earliest = now - OFFLINE_LIMIT
    if scheduled is not None:
        earliest = max(earliest, scheduled - EARLY_LIMIT)
    if at > now + CLOCK_SKEW or at < earliest:
        raise ValidationError(
            {
                "taken_at": [
                    _(
                        "Give a time in the last 7 days, not in the future and not more "
                        "than 12 hours before the dose was due."
                    )
                ]
            }
        )
    return at


def _record_dose(
    user: User, patient: Patient, item: Item, dose: Any, values: dict[str, Any], now: dt.datetime
) -> Result:
    status = values.get("status", dose.status)
    if status == dose.status and status in (DoseStatus.TAKEN, DoseStatus.SKIPPED):
        if dose.recorded_by_id != user.pk:
            return _conflict(item, patient)  # someone else recorded it first
        if any(
            getattr(dose, name) != value
            for name, value in values.items()
            if name in ("taken_at", "skip_reason") and value not in (None, "")
        ):
            return _conflict(item, patient)  # recorded otherwise already (another device)
        return _result(item, patient, "unchanged")  # my own record, sent again
    try:
        if status == DoseStatus.TAKEN:
            at = _given_at(values, now, dose.scheduled_for)
            doses.dose_take(patient=patient, actor=user, dose_id=dose.pk, now=at)
        elif status == DoseStatus.SKIPPED:
            reason = str(values.get("skip_reason", "")).strip()
            if not reason or len(reason) > 200:
                raise ValidationError(
                    {"skip_reason": [_("Say why it was skipped (at most 200 characters).")]}
                )
            doses.dose_skip(patient=patient, actor=user, dose_id=dose.pk, reason=reason, now=now)
        elif status == DoseStatus.PENDING:
            if dose.status in (DoseStatus.PENDING, DoseStatus.MISSED):
                return _result(item, patient, "unchanged")
            _instance, version = current(item.entity, item.id)
            if item.base_version != version:
                return _conflict(item, patient)  # undoing a record the client has not seen
            doses.dose_undo(patient=patient, actor=user, dose_id=dose.pk, now=now)
        else:
            raise ValidationError(
                {
                    "status": [
                        _("Send taken, skipped, or pending to undo (missed is the server's).")
                    ]
                }
            )
    except doses.AlreadyRecorded:
        return _conflict(item, patient)
    return _result(item, patient, "applied")


def _create_dose(
    *, patient: Patient, actor: User, item: Item, values: dict[str, Any], now: dt.datetime
) -> None:
    medication_id = values.get("medication_id")
    if medication_id is None:
        raise ValidationError({"medication_id": [_("Say which as-needed medication was given.")]})
    if not Medication.objects.filter(pk=medication_id, patient=patient, is_prn=True).exists():
        raise ValidationError(
            {"medication_id": [_("Only as-needed doses are created by a client.")]}
        )
    at = _given_at(values, now, None)
    try:
        doses.prn_dose_record(
            patient=patient,
            actor=actor,
            medication_id=medication_id,
            form_token=item.id,
            override_reason=values.get("override_reason", ""),
            now=at,
        )
    except doses.LimitReached as limit:
        raise ItemError(
            "limit_reached",
            _("Not yet: %(rule)s. The next dose is allowed at %(time)s.")
            % {"rule": limit.reason, "time": limit.next_allowed.isoformat()},
        ) from None
    except Medication.DoesNotExist:
        raise ValidationError({"medication_id": [_("This medication is not active.")]}) from None


# -- Creates -----------------------------------------------------------------------------


def _profile(values: dict[str, Any]) -> dict[str, Any]:
    """A patient's profile through the web's own form (names trimmed, the phone
    made dialable, the date of birth and time zone checked)."""
    contact = values.get("emergency_contact") or {}
    if not isinstance(contact, dict):
        raise ValidationError({"emergency_contact": [_("Send name, phone and relationship.")]})
    dob = values.get("dob")
    form = PatientForm(
        {
            "name": values.get("name", ""),
            "dob": dob.isoformat() if dob else "",
            "gender": values.get("gender", ""),
            "allergies": list(values.get("allergies") or []),
            "medical_conditions": list(values.get("medical_conditions") or []),
            "contact_name": str(contact.get("name", "")),
            "contact_phone": str(contact.get("phone", "")),
            "contact_relationship": str(contact.get("relationship", "")),
            "timezone": values.get("timezone", ""),
        }
    )
    if not form.is_valid():
        errors: dict[str, list[str]] = {}
        for name, messages in form.errors.items():
            key = "emergency_contact" if name.startswith("contact_") else name
            errors.setdefault(key, []).extend(messages)
        raise ValidationError(errors)
    return form.profile


def _create_patient(user: User, item: Item) -> Result:
    values = _profile(parse(item.entity, item.data, item.entity.creatable))
    try:
        created = patients.patient_create(actor=user, form_token=item.id, **values)
    except AlreadyCreated:
        created = get_patient_for_user(user, item.id, item.entity.area)
        return _result(item, created, "unchanged")
    return _result(item, created, "applied")


def _medication_create(
    *, patient: Patient, actor: User, item: Item, values: dict[str, Any], now: dt.datetime
) -> None:
    medications.medication_create(patient=patient, actor=actor, form_token=item.id, **values)


def _schedule_create(
    *, patient: Patient, actor: User, item: Item, values: dict[str, Any], now: dt.datetime
) -> None:
    medication = Medication.objects.filter(
        pk=values.pop("medication_id", None), patient=patient
    ).first()
    if medication is None:
        raise ValidationError({"medication_id": [_("Choose one of the patient's medications.")]})
    medications.schedule_create(
        patient=patient, actor=actor, medication=medication, now=now, form_token=item.id, **values
    )


def _measurement_create(
    *, patient: Patient, actor: User, item: Item, values: dict[str, Any], now: dt.datetime
) -> None:
    values.setdefault("source", "device")
    measurements.measurement_create(patient=patient, actor=actor, form_token=item.id, **values)


def _entry_create(
    *, patient: Patient, actor: User, item: Item, values: dict[str, Any], now: dt.datetime
) -> None:
    log_date = values.pop("log_date", None)
    if log_date is None:
        raise ValidationError({"log_date": [_("Say which day the entry is about.")]})
    try:
        journal.entry_save(
            patient=patient, actor=actor, log_date=log_date, form_token=item.id, **values
        )
    except journal.DayTaken as taken:
        raise ItemError(
            "day_taken",
            _("You already have a journal entry for that day: edit it instead (id %(id)s).")
            % {"id": taken.entry.pk},
        ) from None


def _appointment_create(
    *, patient: Patient, actor: User, item: Item, values: dict[str, Any], now: dt.datetime
) -> None:
    appointments.appointment_create(patient=patient, actor=actor, form_token=item.id, **values)


CREATES: dict[str, Callable[..., None]] = {
    "medications": _medication_create,
    "schedules": _schedule_create,
    "doses": _create_dose,
    "measurements": _measurement_create,
    "daily_logs": _entry_create,
    "appointments": _appointment_create,
}


# -- Updates -----------------------------------------------------------------------------


def _patient_update(
    *, patient: Patient, actor: User, instance: Any, values: dict[str, Any], now: dt.datetime
) -> None:
    profile = {name: getattr(instance, name) for name in item_fields("patients")}
    patients.patient_update(
        patient=patient, actor=actor, version=None, **_profile({**profile, **values})
    )


def _member_update(
    *, patient: Patient, actor: User, instance: Any, values: dict[str, Any], now: dt.datetime
) -> None:
    caregivers.member_update(
        patient=patient,
        actor=actor,
        member=instance,
        role=values.get("role", instance.role),
        permissions=values.get("permissions", instance.permissions),
    )


def _medication_update(
    *, patient: Patient, actor: User, instance: Any, values: dict[str, Any], now: dt.datetime
) -> None:
    status = values.pop("status", None)
    reason = values.pop("status_reason", None)
    if values:
        medications.medication_update(patient=patient, actor=actor, medication=instance, **values)
    if status is not None or reason is not None:
        if status is not None and status not in ("active", "paused", "discontinued"):
            raise ValidationError({"status": [_("Choose active, paused or discontinued.")]})
        medications.medication_set_status(
            patient=patient,
            actor=actor,
            medication=instance,
            status=status or instance.status,
            reason=instance.status_reason if reason is None else reason,
            now=now,
        )


def _schedule_update(
    *, patient: Patient, actor: User, instance: Any, values: dict[str, Any], now: dt.datetime
) -> None:
    medications.schedule_update(patient=patient, actor=actor, schedule=instance, now=now, **values)


def _measurement_update(
    *, patient: Patient, actor: User, instance: Any, values: dict[str, Any], now: dt.datetime
) -> None:
    measurements.measurement_update(
        patient=patient, actor=actor, measurement=instance, version=None, **values
    )


def _entry_update(
    *, patient: Patient, actor: User, instance: Any, values: dict[str, Any], now: dt.datetime
) -> None:
    content = {name: getattr(instance, name) for name in journal.CONTENT}
    journal.entry_save(
        patient=patient,
        actor=actor,
        log_date=instance.log_date,
        entry=instance,
        version=instance.updated_at,
        **{**content, **values},
    )


def _appointment_update(
    *, patient: Patient, actor: User, instance: Any, values: dict[str, Any], now: dt.datetime
) -> None:
    status = values.pop("status", None)
    outcome = values.pop("outcome", None)
    if values:
        instance = appointments.appointment_update(
            patient=patient, actor=actor, appointment=instance, version=None, **values
        )
    if status is not None or outcome is not None:
        appointments.appointment_set_status(
            patient=patient,
            actor=actor,
            appointment=instance,
            status=status or instance.status,
            outcome=instance.outcome if outcome is None else outcome,
        )


def _file_update(
    *, patient: Patient, actor: User, instance: Any, values: dict[str, Any], now: dt.datetime
) -> None:
    files.file_update(
        patient=patient,
        actor=actor,
        file=instance,
        file_name=values.get("file_name", instance.file_name),
        note=values.get("note", instance.note),
    )


UPDATES: dict[str, Callable[..., None]] = {
    "patients": _patient_update,
    "team": _member_update,
    "medications": _medication_update,
    "schedules": _schedule_update,
    "measurements": _measurement_update,
    "daily_logs": _entry_update,
    "appointments": _appointment_update,
    "files": _file_update,
}


def item_fields(entity_name: str) -> tuple[str, ...]:
    return ENTITIES[entity_name].editable


# -- Deletes -----------------------------------------------------------------------------


def _member_delete(*, patient: Patient, actor: User, instance: Any) -> None:
    if instance.caregiver_id == actor.pk:
        caregivers.member_leave(patient=patient, actor=actor)
    else:
        caregivers.member_remove(patient=patient, actor=actor, member=instance)


DELETES: dict[str, Callable[..., None]] = {
    "patients": lambda *, patient, actor, instance: patients.patient_soft_delete(
        patient=patient, actor=actor
    ),
    "team": _member_delete,
    "measurements": lambda *, patient, actor, instance: measurements.measurement_delete(
        patient=patient, actor=actor, measurement=instance
    ),
    "daily_logs": lambda *, patient, actor, instance: journal.entry_delete(
        patient=patient, actor=actor, entry=instance
    ),
    "appointments": lambda *, patient, actor, instance: appointments.appointment_delete(
        patient=patient, actor=actor, appointment=instance
    ),
    "files": lambda *, patient, actor, instance: files.file_delete(
        patient=patient, actor=actor, file=instance
    ),
}
