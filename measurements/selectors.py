"""Reads for the readings pages, each a fixed number of queries whatever the data."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from measurements.kinds import KINDS, Kind, Type, Unit
from measurements.models import Measurement
from medtrack import keyset
from patients.models import Patient

WINDOWS = (7, 30, 90, 365)
PAGE = 50


def format_reading(reading: Measurement, unit: Unit) -> str:
    """ "142/91 mmHg", "37.8 °C", "5.1 mmol/L", "320 L/min" (for "other")."""
    if reading.type == Type.OTHER:
        return unit.format(reading.value, reading.unit)
    if reading.value_secondary is not None:
        return f"{unit.show(reading.value)}/{unit.format(reading.value_secondary)}"
    return unit.format(reading.value)


@dataclass
class Shown:
    """A reading with its text in the user's units."""

    reading: Measurement
    kind: Kind
    text: str

    @property
    def title(self) -> str:
        return self.reading.label if self.reading.type == Type.OTHER else self.kind.label


def shown(readings: Sequence[Measurement], preferences: Mapping[str, str] | None) -> list[Shown]:
    result = []
    for reading in readings:
        kind = KINDS[reading.type]
        result.append(Shown(reading, kind, format_reading(reading, kind.unit_for(preferences))))
    return result


LATEST = """
    SELECT newest.* FROM unnest(%s::text[]) AS kind(type)
    CROSS JOIN LATERAL (
        SELECT * FROM measurements
        WHERE patient_id = %s AND type = kind.type
        ORDER BY measured_at DESC LIMIT 1
    ) newest
    UNION ALL
    (SELECT DISTINCT ON (label) * FROM measurements
     WHERE patient_id = %s AND type = 'other' ORDER BY label, measured_at DESC)
"""


def latest(patient: Patient) -> list[Measurement]:
    """The newest reading of each type (and of each "other" label), in the order of
    the types: one query, one index probe per type however long the history."""
    order = list(KINDS)
    named = [type_ for type_ in KINDS if type_ != Type.OTHER]
    found = Measurement.objects.raw(LATEST, [named, patient.pk, patient.pk])
    return sorted(found, key=lambda r: (order.index(r.type), r.label.casefold()))


def recent(
    patient: Patient, *, type_: str | None = None, label: str = "", cursor: str | None = None
) -> keyset.Page[Measurement]:
    readings = Measurement.objects.filter(patient=patient).select_related("recorded_by")
    if type_:
        readings = readings.filter(type=type_)
        if type_ == Type.OTHER and label:
            readings = readings.filter(label=label)
    return keyset.page(readings, field="measured_at", cursor=cursor, size=PAGE)


@dataclass
class Point:
    at: dt.datetime
    value: Decimal
    secondary: Decimal | None
    flagged: bool


def points(patient: Patient, type_: str, since: dt.datetime, label: str = "") -> list[Point]:
    """A type's readings since ``since``, oldest first, only what a chart needs (one query)."""
    readings = Measurement.objects.filter(patient=patient, type=type_, measured_at__gte=since)
    if type_ == Type.OTHER:
        readings = readings.filter(label=label)
    rows = readings.order_by("measured_at").values_list(
        "measured_at", "value", "value_secondary", "out_of_range"
    )
    return [Point(at, value, secondary, flagged) for at, value, secondary, flagged in rows]


def other_labels(patient: Patient) -> list[str]:
    """What the patient's "other" readings are of ("Peak flow"…), for their charts."""
    return list(
        Measurement.objects.filter(patient=patient, type=Type.OTHER)
        .order_by("label")
        .values_list("label", flat=True)
        .distinct()
    )
