"""Writes for readings and target ranges; every write keeps the flags right.

A reading is flagged against the target range in force when it is saved;
changing a range re-evaluates that type's readings in one UPDATE. Both take
the same transaction-level lock per patient and type, so a reading saved
while its range changes is evaluated against one or the other, never
missed by both.
"""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils.translation import gettext as _

from accounts.models import User
from files.services import files_detach
from measurements.kinds import Type
from measurements.models import Measurement, MeasurementThreshold
from medtrack.db import EditConflict, check_version, insert_once
from patients.access import Area, Level, require
from patients.models import Patient

__all__ = [
    "EditConflict",
    "measurement_create",
    "measurement_delete",
    "measurement_update",
    "threshold_set",
]


def _lock_type(patient: Patient, type_: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))",
            [f"measurements:{patient.pk}:{type_}"],
        )


def _flagged(patient: Patient, type_: str, value: Decimal, secondary: Decimal | None) -> bool:
    threshold = MeasurementThreshold.objects.filter(patient=patient, type=type_).first()
    return bool(threshold and threshold.breached(value, secondary))


@transaction.atomic
def measurement_create(
    *, patient: Patient, actor: User, form_token: uuid.UUID | None = None, **fields: Any
) -> Measurement:
    """Record a reading (values in the canonical unit); the form's token becomes
    its id, so a double submit records one."""
    require(patient, Area.MEASUREMENTS, Level.WRITE)
    reading = Measurement(
        id=form_token or uuid.uuid4(), patient=patient, recorded_by=actor, **fields
    )
    reading.full_clean(validate_unique=False, validate_constraints=False)
    _lock_type(patient, reading.type)
    reading.out_of_range = _flagged(patient, reading.type, reading.value, reading.value_secondary)
    insert_once(reading, mine=Measurement.objects.filter(patient=patient))
    return reading


@transaction.atomic
def measurement_update(
    *,
    patient: Patient,
    actor: User,
    measurement: Measurement,
    version: dt.datetime | None,
    **fields: Any,
) -> Measurement:
    """Save changes unless someone else saved the reading since ``version`` was read."""
    require(patient, Area.MEASUREMENTS, Level.WRITE)
    fields.pop("form_token", None)
    _lock_type(patient, measurement.type)
    current = Measurement.objects.select_for_update().filter(pk=measurement.pk).first()
    if current is None:
        raise Measurement.DoesNotExist
    check_version(current, version, fields)
    for name, value in fields.items():
        setattr(current, name, value)
    current.full_clean(validate_unique=False, validate_constraints=False)
    current.out_of_range = _flagged(patient, current.type, current.value, current.value_secondary)
    current.save()
    return current


@transaction.atomic
def measurement_delete(*, patient: Patient, actor: User, measurement: Measurement) -> None:
    require(patient, Area.MEASUREMENTS, Level.WRITE)
    # Its photos and documents stay with the patient (DESIGN.md "Deletes").
    files_detach(measurement=measurement)
    Measurement.objects.filter(pk=measurement.pk, patient=patient).delete()


@transaction.atomic
def threshold_set(
    *,
    patient: Patient,
    actor: User,
    type: str,
    min_value: Decimal | None,
    max_value: Decimal | None,
    min_secondary: Decimal | None = None,
    max_secondary: Decimal | None = None,
    is_active: bool = True,
    version: dt.datetime | None = None,
) -> tuple[MeasurementThreshold, int]:
    """Set a type's target range and re-flag its readings; returns the range and
    how many readings are now outside it. Someone else's save since ``version``
    was read raises ``EditConflict``."""
    require(patient, Area.MEASUREMENTS, Level.WRITE)
    if type == Type.OTHER:
        raise ValidationError(_("“Other” readings have no target range."))
    _lock_type(patient, type)
    values = {
        "min_value": min_value,
        "max_value": max_value,
        "min_secondary": min_secondary if type == Type.BLOOD_PRESSURE else None,
        "max_secondary": max_secondary if type == Type.BLOOD_PRESSURE else None,
        "is_active": is_active,
        "updated_by": actor,
    }
    threshold = (
        MeasurementThreshold.objects.select_for_update().filter(patient=patient, type=type).first()
    )
    if threshold is not None:
        check_version(threshold, version, {k: v for k, v in values.items() if k != "updated_by"})
    if threshold is None:
        threshold = MeasurementThreshold(patient=patient, type=type, **values)
        threshold.full_clean(validate_unique=False, validate_constraints=False)
        threshold.save(force_insert=True)
    else:
        for name, value in values.items():
            setattr(threshold, name, value)
        threshold.full_clean(validate_unique=False, validate_constraints=False)
        threshold.save()
    return threshold, reflag(patient, threshold)


def reflag(patient: Patient, threshold: MeasurementThreshold) -> int:
    """Re-evaluate the readings of the range's type, writing only those whose flag
    changes; returns how many are outside the range."""
    readings = Measurement.objects.filter(patient=patient, type=threshold.type)
    outside = threshold.breach()
    if outside is None:
        readings.filter(out_of_range=True).update(out_of_range=False)
        return 0
    readings.filter(outside, out_of_range=False).update(out_of_range=True)
    readings.filter(out_of_range=True).exclude(outside).update(out_of_range=False)
    return readings.filter(out_of_range=True).count()
