"""A patient's record over a period, as tables: the one source of the CSV, JSON,
FHIR and PDF exports. Times are ISO 8601 with the patient's offset; amounts are
decimal strings; one query per table (``docs/exports.md`` lists the columns)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import uuid
import zipfile
from dataclasses import dataclass
from decimal import Decimal
from functools import cached_property
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import Model, Q, QuerySet

from appointments.models import Appointment
from doses.models import Dose
from files.models import File
from journal.models import DailyLog
from measurements.models import Measurement
from medications.models import Medication, MedicationSchedule
from medications.recurrence import start_of_day
from patients.access import Area, Level, can
from patients.models import Patient

#: The version of the JSON document's shape (and the CSV columns).
FORMAT_VERSION = 1

#: Each table's columns, in order: the documented export format.
COLUMNS: dict[str, list[str]] = {
    "patient": [
        "id", "name", "dob", "gender", "timezone", "allergies", "medical_conditions",
        "emergency_contact",
    ],
    "medications": [
        "id", "name", "generic_name", "strength", "form", "dose_amount", "dose_unit", "route",
        "instructions", "reason", "prescriber", "pharmacy", "rxnorm_code", "is_prn",
        "prn_max_per_day", "prn_min_interval_hours", "start_date", "end_date", "status",
        "status_changed_on", "status_reason",
    ],
    "medication_schedules": [
        "id", "medication_id", "frequency", "times_of_day", "days_of_week", "interval",
        "dose_amount", "start_date", "end_date",
    ],
    "doses": [
        "id", "medication_id", "schedule_id", "scheduled_for", "status", "taken_at", "amount",
        "skip_reason", "notes",
    ],
    "measurements": [
        "id", "type", "label", "value", "value_secondary", "unit", "measured_at", "context",
        "out_of_range", "notes",
    ],
    "daily_logs": [
        "id", "log_date", "mood", "energy", "appetite", "sleep_quality", "sleep_hours",
        "pain_level", "symptoms", "activities", "notes",
    ],
    "appointments": [
        "id", "title", "appointment_type", "provider_name", "location", "starts_at", "ends_at",
        "status", "notes", "outcome",
    ],
    "files": ["id", "file_name", "mime_type", "size", "uploaded_at", "measurement_id", "log_id"],
}  # fmt: skip


@dataclass
class Record:
    patient: Patient
    date_from: dt.date
    date_to: dt.date
    zone: ZoneInfo
    #: The model instances, for the FHIR and PDF builders.
    objects: dict[str, list[Any]]
    #: Tables left out: areas the person exporting may not see.
    omitted: list[str]

    @property
    def period(self) -> dict[str, str]:
        return {"from": self.date_from.isoformat(), "to": self.date_to.isoformat()}

    @cached_property
    def tables(self) -> dict[str, list[dict[str, Any]]]:
        """Each table's rows as documented (CSV, JSON), made on first use: the FHIR
        and PDF builders read ``objects`` only."""
        return {table: _rows(items, table, self.zone) for table, items in self.objects.items()}


#: Values written as they are (the common case, checked first).
_AS_IS = frozenset({str, int, bool, float, type(None)})


def _value(value: Any, zone: ZoneInfo) -> Any:
    kind = type(value)
    if kind in _AS_IS:
        return value
    if kind is uuid.UUID:
        return str(value)
    if isinstance(value, list):
        return [_value(item, zone) for item in value]
    if isinstance(value, dt.datetime):
        return value.astimezone(zone).isoformat()
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, uuid.UUID):
        return str(value)
    return value


def _rows(items: list[Model], table: str, zone: ZoneInfo) -> list[dict[str, Any]]:
    columns = COLUMNS[table]
    return [{column: _value(getattr(item, column), zone) for column in columns} for item in items]


#: The area each table belongs to (the member's permissions decide what is exported).
AREAS = {
    "medications": Area.MEDICATIONS,
    "medication_schedules": Area.MEDICATIONS,
    "doses": Area.DOSES,
    "measurements": Area.MEASUREMENTS,
    "daily_logs": Area.LOGS,
    "appointments": Area.APPOINTMENTS,
    "files": Area.FILES,
}


def _allowed(patient: Patient, area: Area) -> bool:
    """A member's permissions; an operator (system context, no membership): all."""
    if getattr(patient, "membership_role", None) is None:
        return True
    return can(patient, area, Level.READ)


def collect(patient: Patient, date_from: dt.date, date_to: dt.date) -> Record:
    """Everything of ``patient`` in the period (the patient's own days) that the
    member who loaded ``patient`` may see (an operator in system context: all)."""
    zone = patient.zone
    since = start_of_day(date_from, zone)
    until = start_of_day(date_to + dt.timedelta(days=1), zone)
    medications = list(Medication.objects.filter(patient=patient).order_by("name", "id"))
    objects: dict[str, list[Any]] = {
        "patient": [patient],
        "medications": medications,
        "medication_schedules": list(
            MedicationSchedule.objects.filter(medication__patient=patient).order_by(
                "medication_id", "start_date", "id"
            )
        ),
        "doses": list(
            Dose.objects.filter(patient=patient)
            .filter(
                Q(scheduled_for__gte=since, scheduled_for__lt=until)
                | Q(scheduled_for__isnull=True, taken_at__gte=since, taken_at__lt=until)
            )
            .exclude(status="pending", scheduled_for__gte=until)
            .order_by("scheduled_for", "taken_at", "id")
        ),
        "measurements": list(
            Measurement.objects.filter(
                patient=patient, measured_at__gte=since, measured_at__lt=until
            ).order_by("measured_at", "id")
        ),
        "daily_logs": list(
            DailyLog.objects.filter(
                patient=patient, log_date__gte=date_from, log_date__lte=date_to
            ).order_by("log_date", "id")
        ),
        "appointments": list(
            Appointment.objects.filter(patient=patient)
            .filter(Q(starts_at__gte=since, starts_at__lt=until) | Q(starts_at__gte=until))
            .order_by("starts_at", "id")
        ),
        "files": list(_documents(patient, since, until)),
    }
    # Each dose's medication from the list above, not a join: a year has thousands
    # of doses of a handful of medications.
    by_id = {medication.pk: medication for medication in medications}
    missing = {dose.medication_id for dose in objects["doses"]} - by_id.keys()
    if missing:  # (none: a dose's medication is the patient's; belt and braces)
        by_id.update(Medication.objects.in_bulk(missing))
    for dose in objects["doses"]:
        dose.medication = by_id[dose.medication_id]
    omitted = [table for table, area in AREAS.items() if not _allowed(patient, area)]
    for table in omitted:
        objects[table] = []
    return Record(patient, date_from, date_to, zone, objects, omitted)


def _documents(patient: Patient, since: dt.datetime, until: dt.datetime) -> QuerySet[File]:
    return (
        File.objects.documents()
        .filter(patient=patient, uploaded_at__gte=since, uploaded_at__lt=until)
        .order_by("uploaded_at", "id")
    )


def to_csv_zip(record: Record) -> bytes:
    """A zip with one UTF-8 CSV per table, columns as documented."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for table, rows in record.tables.items():
            text = io.StringIO()
            writer = csv.writer(text, lineterminator="\n")
            writer.writerow(COLUMNS[table])
            # Rows carry every column in order (``_rows``): their values are the line.
            writer.writerows([_cell(value) for value in row.values()] for row in rows)
            # UTF-8 with a byte-order mark, so spreadsheets read accents right.
            archive.writestr(f"{table}.csv", text.getvalue().encode("utf-8-sig"))
    return out.getvalue()


def _cell(value: Any) -> Any:
    """A CSV cell: lists and objects as JSON, the rest as it is."""
    return json.dumps(value, ensure_ascii=False) if isinstance(value, list | dict) else value


def to_json(record: Record) -> bytes:
    document = {
        "format": "medtrack-export",
        "version": FORMAT_VERSION,
        "period": record.period,
        "timezone": record.zone.key,
        **{
            table: rows[0] if table == "patient" else rows for table, rows in record.tables.items()
        },
    }
    return json.dumps(document, ensure_ascii=False, indent=2).encode("utf-8")
