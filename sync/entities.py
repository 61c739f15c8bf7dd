"""What the sync API carries: one ``Entity`` per synced table.

Each names its model, the access area it belongs to, the fields a client
reads and those it may send. Records are written as JSON from the model's own
fields (so the OpenAPI document, built from the same list, matches them), and
values a client sends are parsed by the same model fields the web forms end
up in; the services then run the models' full validation.
"""

from __future__ import annotations

import datetime as dt
import decimal
import uuid
from dataclasses import dataclass, field
from typing import Any

from django.contrib.postgres.fields import ArrayField
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext as _

from appointments.forms import FIELDS as APPOINTMENT_FIELDS
from appointments.models import Appointment
from caregivers.models import PatientCaregiver
from doses.models import Dose
from files.models import File
from journal import services as journal
from journal.models import DailyLog
from measurements.models import Measurement
from medications.forms import MedicationForm
from medications.models import Medication, MedicationSchedule
from medtrack.forms import sane_date
from patients.access import Area
from patients.models import Patient


@dataclass(frozen=True)
class Entity:
    name: str
    model: type[models.Model]
    area: Area
    #: What a client reads (model field names; foreign keys as ``<name>_id``).
    fields: tuple[str, ...]
    #: What a client may send when it creates a record (beyond ``id`` and ``patient_id``).
    creatable: tuple[str, ...] = ()
    #: What a client may send when it changes one.
    editable: tuple[str, ...] = ()
    deletable: bool = False
    #: Extra read-only fields (name → OpenAPI schema), filled by ``extra_values``.
    extra: dict[str, dict[str, Any]] = field(default_factory=dict)
    description: str = ""

    @property
    def patient_field(self) -> str:
        return "id" if self.model is Patient else "patient_id"

    def queryset(self) -> models.QuerySet[Any]:
        manager = self.model._default_manager
        if self.model is File:
            return File.objects.documents()  # an export's file is the Exports page's alone
        if self.model is PatientCaregiver:
            return manager.select_related("caregiver")
        return manager.all()

    def extra_values(self, instance: models.Model) -> dict[str, Any]:
        if isinstance(instance, PatientCaregiver):
            return {"caregiver_name": instance.caregiver.name}
        return {}


_PROFILE = (
    "name",
    "dob",
    "gender",
    "allergies",
    "medical_conditions",
    "emergency_contact",
    "timezone",
)
#: The web form's fields (and the RxNorm code, which only the admin sets so far).
_MEDICATION = (*MedicationForm.Meta.fields, "rxnorm_code")
_SCHEDULE = (
    "frequency",
    "times_of_day",
    "days_of_week",
    "interval",
    "dose_amount",
    "start_date",
    "end_date",
)
_READING = (
    "type",
    "label",
    "value",
    "value_secondary",
    "unit",
    "measured_at",
    "context",
    "notes",
    "source",
)
_DAY = journal.CONTENT
_APPOINTMENT = tuple("escort_id" if name == "escort" else name for name in APPOINTMENT_FIELDS)

ENTITIES: dict[str, Entity] = {
    entity.name: entity
    for entity in [
        Entity(
            "patients",
            Patient,
            Area.PATIENT,
            fields=("id", *_PROFILE, "created_by_id", "created_at", "updated_at"),
            creatable=_PROFILE,
            editable=_PROFILE,
            deletable=True,
            description="The people cared for. Deleting one (primary caregivers only) moves "
            "it to Recently deleted, from where it can be restored on the web.",
        ),
        Entity(
            "team",
            PatientCaregiver,
            Area.CAREGIVERS,
            fields=("id", "patient_id", "caregiver_id", "role", "permissions", "is_active"),
            editable=("role", "permissions"),
            deletable=True,
            extra={"caregiver_name": {"type": "string"}},
            description="The care team. Primary caregivers change roles and remove members; "
            "deleting your own row leaves the team. New members are invited by e-mail on "
            "the web.",
        ),
        Entity(
            "medications",
            Medication,
            Area.MEDICATIONS,
            fields=("id", "patient_id", *_MEDICATION, "status", "status_reason", "updated_at"),
            creatable=_MEDICATION,
            editable=(*_MEDICATION, "status", "status_reason"),
            description="Changing status to paused or discontinued withdraws future doses.",
        ),
        Entity(
            "schedules",
            MedicationSchedule,
            Area.MEDICATIONS,
            fields=("id", "patient_id", "medication_id", *_SCHEDULE),
            creatable=("medication_id", *_SCHEDULE),
            editable=_SCHEDULE,
            description="When a medication is taken; saving one creates its coming doses.",
        ),
        Entity(
            "doses",
            Dose,
            Area.DOSES,
            fields=(
                "id",
                "patient_id",
                "medication_id",
                "schedule_id",
                "scheduled_for",
                "status",
                "taken_at",
                "amount",
                "recorded_by_id",
                "skip_reason",
                "notes",
            ),
            creatable=("medication_id", "taken_at", "override_reason"),
            editable=("status", "taken_at", "skip_reason"),
            description="Scheduled doses are created by the server; a client records them "
            "(status taken, skipped, or pending to undo). A client creates only as-needed "
            "doses (medication_id and taken_at), within the medication's limits.",
        ),
        Entity(
            "measurements",
            Measurement,
            Area.MEASUREMENTS,
            fields=("id", "patient_id", *_READING, "recorded_by_id", "out_of_range", "updated_at"),
            creatable=_READING,
            editable=tuple(name for name in _READING if name != "type"),  # as on the web
            deletable=True,
            description="Readings in their canonical (UCUM) unit: mm[Hg], /min, mg/dL, Cel, "
            "kg, cm, %, /min, {score}.",
        ),
        Entity(
            "daily_logs",
            DailyLog,
            Area.LOGS,
            fields=("id", "patient_id", "log_date", *_DAY, "created_by_id", "updated_at"),
            creatable=("log_date", *_DAY),
            editable=_DAY,
            deletable=True,
            description="The journal: one entry per patient, day and author.",
        ),
        Entity(
            "appointments",
            Appointment,
            Area.APPOINTMENTS,
            fields=(
                "id",
                "patient_id",
                *_APPOINTMENT,
                "status",
                "outcome",
                "created_by_id",
                "updated_at",
            ),
            creatable=_APPOINTMENT,
            editable=(*_APPOINTMENT, "status", "outcome"),
            deletable=True,
        ),
        Entity(
            "files",
            File,
            Area.FILES,
            fields=(
                "id",
                "patient_id",
                "measurement_id",
                "log_id",
                "file_name",
                "mime_type",
                "size",
                "note",
                "uploaded_by_id",
                "uploaded_at",
            ),
            editable=("file_name", "note"),
            deletable=True,
            description="Documents and photos, metadata only: files are uploaded and "
            "downloaded on the web, through its access checks.",
        ),
    ]
}

#: Fields a client may send that are not model columns, with their schema.
PSEUDO_FIELDS: dict[str, dict[str, Any]] = {
    "override_reason": {
        "type": "string",
        "maxLength": 200,
        "description": "Primary caregivers only: give an as-needed dose beyond its limits.",
    },
}


def column_for(entity: Entity, name: str) -> models.Field[Any, Any]:
    """The model field behind a record field (``escort_id`` is the ``escort`` key)."""
    for candidate in entity.model._meta.concrete_fields:
        if name in (candidate.name, candidate.attname):
            return candidate
    raise LookupError(name)


def _json(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, list | tuple):
        return [_json(item) for item in value]
    return value


def record(entity: Entity, instance: models.Model) -> dict[str, Any]:
    """The JSON a client reads for ``instance``."""
    values = {
        name: _json(getattr(instance, column_for(entity, name).attname)) for name in entity.fields
    }
    values.update(entity.extra_values(instance))
    return values


def parse(entity: Entity, data: Any, allowed: tuple[str, ...]) -> dict[str, Any]:
    """The Python values of ``data``, parsed by the model's own fields.

    Raises ValidationError with a message per field: unknown fields, fields
    that may not be sent here, and values the field cannot read.
    """
    if not isinstance(data, dict):
        raise ValidationError({"data": [_("Send an object of field values.")]})
    errors: dict[str, list[str]] = {}
    values: dict[str, Any] = {}
    for name, raw in data.items():
        if name not in allowed:
            errors[str(name)] = [_("This field cannot be sent here.")]
            continue
        if name in PSEUDO_FIELDS:
            if not isinstance(raw, str) or len(raw) > 200:
                errors[name] = [_("Send a text of at most 200 characters.")]
            else:
                values[name] = raw
            continue
        column = column_for(entity, name)
        try:
            values[column.attname] = _to_python(column, raw)
        except ValidationError as error:
            errors[name] = list(error.messages)
    if errors:
        raise ValidationError(errors)
    return values


def _to_python(column: models.Field[Any, Any], raw: Any) -> Any:
    if raw is None:
        if column.null:
            return None
        if isinstance(column, models.TextField | models.CharField):
            return ""
        raise ValidationError(_("This field cannot be empty."))
    if isinstance(column, ArrayField):
        if not isinstance(raw, list):
            raise ValidationError(_("Send a list."))
        return [_to_python(column.base_field, item) for item in raw]
    if isinstance(column, models.JSONField):
        if not isinstance(raw, dict):
            raise ValidationError(_("Send an object."))
        return raw
    if isinstance(column, models.BooleanField) and not isinstance(raw, bool):
        raise ValidationError(_("Send true or false."))
    if isinstance(column, models.IntegerField) and (
        isinstance(raw, bool) or not isinstance(raw, int)
    ):
        raise ValidationError(_("Send a whole number."))
    if isinstance(column, models.DecimalField):
        if isinstance(raw, bool) or not isinstance(raw, str | int | float):
            raise ValidationError(_("Send a number."))
        raw = str(raw)
    elif isinstance(
        column, models.TextField | models.CharField | models.DateField | models.TimeField
    ) and not isinstance(raw, str):
        raise ValidationError(_("Send a text."))
    if isinstance(column, models.ForeignKey):
        column = column.target_field
    if isinstance(raw, str) and "\x00" in raw:
        raise ValidationError(_("Null characters are not allowed."))
    value = column.to_python(raw)
    if isinstance(column, models.DateTimeField) and value is not None and value.tzinfo is None:
        raise ValidationError(_("Give the time zone (e.g. 2026-12-02T08:00:00Z)."))
    if isinstance(column, models.DateField) and not sane_date(value):
        raise ValidationError(_("Please check the year."))
    if isinstance(value, decimal.Decimal) and not value.is_finite():
        raise ValidationError(_("Send a number."))
    if isinstance(column, models.DecimalField) and value is not None:
        # The column's own limits (the web form's), not a database error later.
        column.clean(value, None)
    return value
