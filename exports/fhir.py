"""The record as a FHIR R4 Bundle (type collection), for clinic systems:
Patient, AllergyIntolerance, Condition, MedicationRequest, MedicationAdministration,
Observation (vital signs, LOINC codes, UCUM units), Appointment and
DocumentReference (metadata only). Tests validate every resource with
``fhir.resources`` (R4B), not with this code."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from decimal import Decimal
from typing import Any

from django.utils import timezone

from exports.data import Record

UCUM = "http://unitsofmeasure.org"
LOINC = "http://loinc.org"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
VITAL_SIGNS = {
    "coding": [
        {
            "system": "http://terminology.hl7.org/CodeSystem/observation-category",
            "code": "vital-signs",
            "display": "Vital Signs",
        }
    ]
}
ACTIVE = {
    "coding": [
        {
            "system": "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical",
            "code": "active",
        }
    ]
}
CONDITION_ACTIVE = {
    "coding": [
        {"system": "http://terminology.hl7.org/CodeSystem/condition-clinical", "code": "active"}
    ]
}
#: Our measurement type → its LOINC codes (blood pressure: the panel).
LOINC_CODES: dict[str, list[tuple[str, str]]] = {
    "blood_pressure": [("85354-9", "Blood pressure panel with all children optional")],
    "heart_rate": [("8867-4", "Heart rate")],
    "respiratory_rate": [("9279-1", "Respiratory rate")],
    "temperature": [("8310-5", "Body temperature")],
    "weight": [("29463-7", "Body weight")],
    "height": [("8302-2", "Body height")],
    "oxygen_saturation": [
        ("2708-6", "Oxygen saturation in Arterial blood"),
        ("59408-5", "Oxygen saturation in Arterial blood by Pulse oximetry"),
    ],
    "pain": [("72514-3", "Pain severity - 0-10 verbal numeric rating [Score] - Reported")],
}
GLUCOSE = {
    "mg/dL": ("2339-0", "Glucose [Mass/volume] in Blood"),
    "mmol/L": ("15074-8", "Glucose [Moles/volume] in Blood"),
}
APPOINTMENT_STATUS = {
    "scheduled": "booked",
    "completed": "fulfilled",
    "cancelled": "cancelled",
    "missed": "noshow",
}
REQUEST_STATUS = {"active": "active", "paused": "on-hold", "discontinued": "stopped"}
WEEKDAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


def _ref(kind: str, pk: object) -> dict[str, str]:
    return {"reference": f"urn:uuid:{pk}", "type": kind}


def _number(value: Decimal | None) -> float | int | None:
    if value is None:
        return None
    normal = value.normalize()
    return int(normal) if normal == normal.to_integral() else float(normal)


def _at(value: dt.datetime | None, record: Record) -> str | None:
    return value.astimezone(record.zone).isoformat() if value else None


def _clean(value: Any) -> Any:
    """Drop empty fields (FHIR forbids empty strings, lists and objects): None, "",
    [] and {} go, 0 and False stay. (Runs over every resource: kept to one pass.)"""
    if type(value) is dict:
        cleaned = {}
        for key, item in value.items():
            if type(item) is dict or type(item) is list:
                item = _clean(item)
            if item or item == 0:
                cleaned[key] = item
        return cleaned
    if type(value) is list:
        kept = []
        for item in value:
            if type(item) is dict or type(item) is list:
                item = _clean(item)
            if item or item == 0:
                kept.append(item)
        return kept
    return value


def bundle(record: Record) -> dict[str, Any]:
    patient = record.patient
    subject = _ref("Patient", patient.pk)
    resources: list[dict[str, Any]] = [_patient(record)]
    for allergy in patient.allergies:
        resources.append(
            {
                "resourceType": "AllergyIntolerance",
                "id": str(uuid.uuid5(patient.pk, f"allergy:{allergy}")),
                "clinicalStatus": ACTIVE,
                "code": {"text": allergy},
                "patient": subject,
            }
        )
    for condition in patient.medical_conditions:
        resources.append(
            {
                "resourceType": "Condition",
                "id": str(uuid.uuid5(patient.pk, f"condition:{condition}")),
                "clinicalStatus": CONDITION_ACTIVE,
                "code": {"text": condition},
                "subject": subject,
            }
        )
    schedules: dict[object, list[Any]] = {}
    for schedule in record.objects["medication_schedules"]:
        schedules.setdefault(schedule.medication_id, []).append(schedule)
    for medication in record.objects["medications"]:
        resources.append(_request(medication, schedules.get(medication.pk, []), subject))
    concepts = {m.pk: _medication_concept(m) for m in record.objects["medications"]}
    resources += [
        _administration(dose, subject, record, concepts)
        for dose in record.objects["doses"]
        if dose.status != "pending"  # not given yet: nothing to report
    ]
    resources += [
        _observation(reading, subject, record)
        for reading in record.objects["measurements"]
        if reading.type != "other"
    ]
    resources += [_appointment(item, subject, record) for item in record.objects["appointments"]]
    resources += [_document(file, subject, record) for file in record.objects["files"]]
    return {
        "resourceType": "Bundle",
        "id": str(uuid.uuid4()),
        "type": "collection",
        "timestamp": timezone.now().isoformat(),
        "entry": [
            {"fullUrl": f"urn:uuid:{resource['id']}", "resource": _clean(resource)}
            for resource in resources
        ],
    }


def to_fhir_json(record: Record) -> bytes:
    return json.dumps(bundle(record), ensure_ascii=False, indent=2).encode("utf-8")


def _patient(record: Record) -> dict[str, Any]:
    patient = record.patient
    contact = patient.contact
    return {
        "resourceType": "Patient",
        "id": str(patient.pk),
        "name": [{"text": patient.name}],
        "gender": patient.gender if patient.gender in ("female", "male", "other") else "unknown",
        "birthDate": patient.dob.isoformat(),
        "contact": [
            {
                "relationship": [
                    {
                        "coding": [
                            {
                                "system": "http://terminology.hl7.org/CodeSystem/v2-0131",
                                "code": "C",
                                "display": "Emergency Contact",
                            }
                        ]
                    },
                    {"text": contact.get("relationship", "")},
                ],
                "name": {"text": contact.get("name", "")},
                "telecom": [{"system": "phone", "value": contact.get("phone", "")}],
            }
        ]
        if contact
        else [],
    }


def _medication_concept(medication: Any) -> dict[str, Any]:
    return {
        "text": f"{medication.name} {medication.strength}".strip(),
        "coding": [{"system": RXNORM, "code": medication.rxnorm_code}]
        if medication.rxnorm_code
        else [],
    }


def _request(medication: Any, schedules: list[Any], subject: dict[str, str]) -> dict[str, Any]:
    dose = {"value": _number(medication.dose_amount), "unit": medication.dose_unit}
    dosage: list[dict[str, Any]] = []
    if medication.is_prn:
        dosage.append(
            {
                "text": medication.instructions or "as needed",
                "asNeededBoolean": True,
                "doseAndRate": [{"doseQuantity": dose}],
                "maxDosePerPeriod": {
                    "numerator": {"value": medication.prn_max_per_day},
                    "denominator": {"value": 1, "unit": "day", "system": UCUM, "code": "d"},
                }
                if medication.prn_max_per_day
                else None,
                "timing": {
                    "repeat": {
                        "frequency": 1,
                        "period": _number(medication.prn_min_interval_hours),
                        "periodUnit": "h",
                    }
                }
                if medication.prn_min_interval_hours
                else None,
            }
        )
    for schedule in schedules:
        repeat: dict[str, Any]
        if schedule.frequency == "every_n_hours":
            repeat = {"frequency": 1, "period": schedule.interval, "periodUnit": "h"}
        else:
            every = schedule.interval if schedule.frequency == "every_n_days" else 1
            repeat = {
                "frequency": max(1, len(schedule.times_of_day)),
                "period": every,
                "periodUnit": "wk" if schedule.frequency == "weekly" else "d",
                "timeOfDay": [t.strftime("%H:%M:%S") for t in schedule.times_of_day],
                "dayOfWeek": [WEEKDAYS[d - 1] for d in schedule.days_of_week],  # 1 = Monday
            }
            if schedule.frequency == "weekly":
                repeat["period"], repeat["periodUnit"] = 1, "wk"
                repeat["frequency"] = max(1, len(schedule.days_of_week)) * max(
                    1, len(schedule.times_of_day)
                )
        repeat["boundsPeriod"] = {
            "start": schedule.start_date.isoformat(),
            "end": schedule.end_date.isoformat() if schedule.end_date else None,
        }
        amount = schedule.dose_amount or medication.dose_amount
        dosage.append(
            {
                "text": medication.instructions,
                "asNeededBoolean": False,
                "timing": {"repeat": repeat},
                "doseAndRate": [
                    {"doseQuantity": {"value": _number(amount), "unit": medication.dose_unit}}
                ],
            }
        )
    return {
        "resourceType": "MedicationRequest",
        "id": str(medication.pk),
        "status": REQUEST_STATUS.get(medication.status, "unknown"),
        "intent": "order",
        "medicationCodeableConcept": _medication_concept(medication),
        "subject": subject,
        "authoredOn": medication.created_at.isoformat(),
        "reasonCode": [{"text": medication.reason}] if medication.reason else [],
        "dosageInstruction": dosage,
    }


def _administration(
    dose: Any, subject: dict[str, str], record: Record, concepts: dict[object, dict[str, Any]]
) -> dict[str, Any]:
    given = dose.status == "taken"
    reason = dose.skip_reason or ("Missed" if dose.status == "missed" else "Skipped")
    return {
        "resourceType": "MedicationAdministration",
        "id": str(dose.pk),
        "status": "completed" if given else "not-done",
        "statusReason": [] if given else [{"text": reason}],
        # One per medication, shared (made once for thousands of doses).
        "medicationCodeableConcept": concepts.get(dose.medication_id)
        or _medication_concept(dose.medication),
        "subject": subject,
        "request": _ref("MedicationRequest", dose.medication_id),
        "effectiveDateTime": _at(dose.taken_at if given else dose.scheduled_for, record)
        or _at(dose.created_at, record),
        "dosage": {"dose": {"value": _number(dose.amount), "unit": dose.medication.dose_unit}},
        "note": [{"text": dose.notes}] if dose.notes else [],
    }


def _quantity(value: Decimal, unit: str) -> dict[str, Any]:
    return {"value": _number(value), "unit": unit, "system": UCUM, "code": unit}


def _observation(reading: Any, subject: dict[str, str], record: Record) -> dict[str, Any]:
    if reading.type == "blood_glucose":
        codes = [GLUCOSE.get(reading.unit, GLUCOSE["mg/dL"])]
    else:
        codes = LOINC_CODES[reading.type]
    resource: dict[str, Any] = {
        "resourceType": "Observation",
        "id": str(reading.pk),
        "status": "final",
        "category": [VITAL_SIGNS],
        "code": {
            "coding": [{"system": LOINC, "code": code, "display": text} for code, text in codes],
            "text": codes[0][1],
        },
        "subject": subject,
        "effectiveDateTime": _at(reading.measured_at, record),
        "note": [{"text": reading.notes}] if reading.notes else [],
    }
    if reading.type == "blood_pressure":
        resource["component"] = [
            {
                "code": {"coding": [{"system": LOINC, "code": "8480-6", "display": "Systolic"}]},
                "valueQuantity": _quantity(reading.value, reading.unit),
            },
            {
                "code": {"coding": [{"system": LOINC, "code": "8462-4", "display": "Diastolic"}]},
                "valueQuantity": _quantity(reading.value_secondary, reading.unit),
            },
        ]
    else:
        resource["valueQuantity"] = _quantity(reading.value, reading.unit)
    if reading.out_of_range:
        resource["interpretation"] = [
            {
                "coding": [
                    {
                        "system": "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation",
                        "code": "A",
                        "display": "Abnormal",
                    }
                ]
            }
        ]
    return resource


def _appointment(item: Any, subject: dict[str, str], record: Record) -> dict[str, Any]:
    return {
        "resourceType": "Appointment",
        "id": str(item.pk),
        "status": APPOINTMENT_STATUS.get(item.status, "booked"),
        "description": item.title,
        # FHIR needs an end with a start (app-2): one hour when none was given.
        "start": _at(item.starts_at, record),
        "end": _at(item.ends_at or item.starts_at + dt.timedelta(hours=1), record),
        "comment": item.notes,
        "participant": [{"actor": subject, "status": "accepted"}],
    }


def _document(file: Any, subject: dict[str, str], record: Record) -> dict[str, Any]:
    return {
        "resourceType": "DocumentReference",
        "id": str(file.pk),
        "status": "current",
        "subject": subject,
        "date": _at(file.uploaded_at, record),
        "description": file.note or file.file_name,
        "content": [
            {
                "attachment": {
                    "contentType": file.mime_type,
                    "title": file.file_name,
                    "size": file.size,
                    "creation": _at(file.uploaded_at, record),
                }
            }
        ],
    }
