"""The formats: CSV (every row of the period), JSON, and FHIR validated by an
independent library (fhir.resources, R4B classes)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import zipfile
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.models import User
from conftest import add_medication, add_reading
from exports import data, fhir
from medtrack.rls import acting_as, system_context
from patients.models import Patient

pytestmark = pytest.mark.django_db


def record_of(patient: Patient, user: User, days: int = 30) -> data.Record:
    today = timezone.now().astimezone(patient.zone).date()
    with acting_as(user.pk):
        return data.collect(patient, today - dt.timedelta(days=days), today)


@pytest.fixture
def rich(patient: Patient, primary: User) -> Patient:
    """The fixture's Rosa, with an as-needed medication and every kind of reading."""
    add_medication(
        primary, patient, "Paracetamol", is_prn=True, prn_max_per_day=4, prn_min_interval_hours=6
    )
    for kind, value, secondary in [
        ("heart_rate", 72, None),
        ("blood_glucose", 110, None),
        ("temperature", Decimal("37.2"), None),
        ("weight", Decimal("64.5"), None),
        ("height", 160, None),
        ("oxygen_saturation", 97, None),
        ("respiratory_rate", 16, None),
        ("pain", 3, None),
    ]:
        add_reading(primary, patient, kind, Decimal(value), secondary)
    from doses.models import Dose

    with system_context("test"):  # one dose this morning went unrecorded
        missed = Dose.objects.filter(patient=patient, status="pending").earliest("scheduled_for")
        Dose.objects.filter(pk=missed.pk).update(
            status="missed", scheduled_for=timezone.now() - dt.timedelta(hours=5)
        )
    return patient


def test_the_fhir_bundle_validates_resource_by_resource(rich: Patient, primary: User) -> None:
    from fhir.resources.R4B.bundle import Bundle

    document = json.loads(fhir.to_fhir_json(record_of(rich, primary)))
    Bundle.model_validate(document)  # raises on any invalid resource
    kinds = [entry["resource"]["resourceType"] for entry in document["entry"]]
    for kind in (
        "Patient",
        "AllergyIntolerance",
        "Condition",
        "MedicationRequest",
        "MedicationAdministration",
        "Observation",
        "Appointment",
        "DocumentReference",
    ):
        assert kind in kinds, kind
    resources = [entry["resource"] for entry in document["entry"]]
    patient = next(r for r in resources if r["resourceType"] == "Patient")
    assert patient["contact"][0]["name"]["text"] == "Ana"
    codes = {
        coding["code"]
        for r in resources
        if r["resourceType"] == "Observation"
        for coding in r["code"]["coding"]
    }
    assert {"85354-9", "8867-4", "9279-1", "8310-5", "29463-7", "8302-2", "2708-6"} <= codes
    assert {"59408-5", "2339-0", "72514-3"} <= codes
    pressure = next(
        r for r in resources if r["resourceType"] == "Observation" and "component" in r
    )
    assert [c["code"]["coding"][0]["code"] for c in pressure["component"]] == [
        "8480-6",
        "8462-4",
    ]
    assert pressure["component"][0]["valueQuantity"]["system"] == "http://unitsofmeasure.org"
    prn = next(
        r
        for r in resources
        if r["resourceType"] == "MedicationRequest"
        and r["dosageInstruction"][0].get("asNeededBoolean")
    )
    assert prn["dosageInstruction"][0]["maxDosePerPeriod"]["numerator"]["value"] == 4
    missed = [
        r
        for r in resources
        if r["resourceType"] == "MedicationAdministration" and r["status"] == "not-done"
    ]
    assert missed
    assert missed[0]["statusReason"][0]["text"] == "Missed"


def test_csv_has_every_row_of_the_period(rich: Patient, primary: User) -> None:
    record = record_of(rich, primary)
    archive = zipfile.ZipFile(io.BytesIO(data.to_csv_zip(record)))
    assert sorted(archive.namelist()) == sorted(f"{t}.csv" for t in data.COLUMNS)
    for table, rows in record.tables.items():
        read = list(csv.DictReader(io.StringIO(archive.read(f"{table}.csv").decode("utf-8-sig"))))
        assert len(read) == len(rows), table
        assert list(read[0].keys()) if read else True
    readings = list(csv.DictReader(io.StringIO(archive.read("measurements.csv").decode("utf-8"))))
    assert {row["type"] for row in readings} >= {"blood_pressure", "heart_rate", "pain"}
    assert all("+01:00" in row["measured_at"] for row in readings)  # Madrid, in November


def test_weekly_schedules_name_the_right_days(rich: Patient, primary: User) -> None:
    from fhir.resources.R4B.bundle import Bundle

    from conftest import as_member
    from medications import services as medications
    from medications.models import Medication
    from patients.access import Area

    with acting_as(primary.pk):
        weekly = Medication.objects.get(patient=rich, name="Metformin")
        medications.schedule_create(
            patient=as_member(primary, rich, Area.MEDICATIONS),
            actor=primary,
            medication=weekly,
            frequency="weekly",
            times_of_day=[dt.time(9)],
            days_of_week=[1, 7],  # Monday and Sunday
            interval=None,
            dose_amount=None,
            start_date=timezone.localdate(),
            end_date=None,
        )
    document = json.loads(fhir.to_fhir_json(record_of(rich, primary)))
    Bundle.model_validate(document)
    days = [
        dosage["timing"]["repeat"].get("dayOfWeek")
        for entry in document["entry"]
        if entry["resource"]["resourceType"] == "MedicationRequest"
        for dosage in entry["resource"]["dosageInstruction"]
        if dosage.get("timing", {}).get("repeat", {}).get("dayOfWeek")
    ]
    assert ["mon", "sun"] in days
    appointments = [
        e["resource"] for e in document["entry"] if e["resource"]["resourceType"] == "Appointment"
    ]
    assert all("start" in a and "end" in a for a in appointments)  # app-2


def test_json_is_one_versioned_document(rich: Patient, primary: User) -> None:
    document = json.loads(data.to_json(record_of(rich, primary)))
    assert (document["format"], document["version"]) == ("medtrack-export", 1)
    assert document["patient"]["name"] == "Rosa Primary"
    assert document["timezone"] == "Europe/Madrid"
    assert len(document["measurements"]) >= 9


def test_the_pdf_report_has_its_sections(rich: Patient, primary: User) -> None:
    from pypdf import PdfReader

    from exports.pdf import to_pdf

    pdf = to_pdf(record_of(rich, primary))
    reader = PdfReader(io.BytesIO(pdf))
    text = "\n".join(page.extract_text() for page in reader.pages)
    for heading in (
        "Rosa Primary",
        "Allergies",
        "penicillin",
        "Current medications",
        "Metformin",
        "Doses given",
        "Vital signs",
        "Blood pressure",
        "Outside the target:",
        "Journal",
        "Coming up",
        "Cardiology check-up",
        "Questions for the doctor",
    ):
        assert heading in text, heading
    assert "Page 1 /" in text
