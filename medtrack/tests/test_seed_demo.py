from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.management import CommandError, call_command

from accounts.models import User
from doses.models import Dose
from journal.models import DailyLog
from measurements.kinds import KINDS
from measurements.models import Measurement, MeasurementThreshold
from medications.models import Medication
from medtrack.rls import acting_as, system_context
from patients.models import Patient

pytestmark = pytest.mark.django_db


def test_it_creates_the_documented_demo_login_once(settings) -> None:
    settings.DEBUG = True
    call_command("seed_demo", verbosity=0)
    call_command("seed_demo", verbosity=0)

    demo = User.objects.get(email="demo@example.com")
    assert demo.check_password("medtrack-demo")
    assert User.objects.count() == 2
    with acting_as(demo.pk):
        assert [p.name for p in Patient.objects.all()] == ["Rosa García"]
        names = set(Medication.objects.values_list("name", flat=True))
        assert names == {"Metformin", "Alendronate", "Amoxicillin", "Paracetamol", "Prednisone"}
        assert Dose.objects.filter(medication__name="Prednisone").exists()
        assert not Dose.objects.filter(medication__name="Paracetamol").exists()


def test_it_never_runs_in_production(settings) -> None:
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG"):
        call_command("seed_demo")
    assert not User.objects.exists()


def test_dry_run_creates_nothing(settings) -> None:
    settings.DEBUG = True
    call_command("seed_demo", dry_run=True, verbosity=0)
    assert not User.objects.exists()


# -- The demo's year of readings and journal ---------------------------------------

MADRID = ZoneInfo("Europe/Madrid")
NOW = dt.datetime(2026, 3, 30, 10, 15, tzinfo=MADRID)  # the day after the clocks changed
DAYS = 365
EXPECTED_TYPES = {
    "blood_pressure",
    "heart_rate",
    "blood_glucose",
    "temperature",
    "weight",
    "height",
    "oxygen_saturation",
    "pain",
    "other",
}


def _demo_data(email: str) -> tuple[Patient, list[Measurement], list[MeasurementThreshold]]:
    user = User.objects.get(email=email)
    with acting_as(user.pk):
        patient = Patient.objects.get()
        readings = list(Measurement.objects.filter(patient=patient).order_by("measured_at"))
        targets = list(MeasurementThreshold.objects.filter(patient=patient))
    return patient, readings, targets


def _counts() -> dict[str, int]:
    with system_context("test"):
        return {
            "readings": Measurement.objects.count(),
            "targets": MeasurementThreshold.objects.count(),
            "journal": DailyLog.objects.count(),
        }


@pytest.fixture
def seeded(settings, time_machine) -> None:
    time_machine.move_to(NOW, tick=False)
    settings.DEBUG = True
    call_command("seed_demo", verbosity=0)


@pytest.mark.usefixtures("seeded")
def test_rosa_has_a_year_of_plausible_readings() -> None:
    _, readings, targets = _demo_data("demo@example.com")
    today = NOW.date()
    first_day = today - dt.timedelta(days=DAYS - 1)

    days = [r.measured_at.astimezone(MADRID).date() for r in readings]
    assert min(days) == first_day
    assert max(r.measured_at for r in readings) <= NOW
    assert {r.type for r in readings} >= EXPECTED_TYPES
    blood_pressure_days = {
        d for r, d in zip(readings, days, strict=True) if r.type == "blood_pressure"
    }
    assert len(blood_pressure_days) >= 0.85 * DAYS
    assert sum(r.type == "height" for r in readings) == 1

    for reading in readings:
        kind = KINDS[reading.type]
        assert kind.limits.low <= reading.value <= kind.limits.high, reading
        if kind.secondary_limits:
            assert (
                kind.secondary_limits.low <= reading.value_secondary <= kind.secondary_limits.high
            )
        else:
            assert reading.value_secondary is None
        if reading.type == "other":
            assert (reading.label, reading.unit) == ("Peak flow", "L/min")
        else:
            assert reading.unit == kind.canonical
        assert reading.context == "" or reading.context in kind.contexts, reading
        assert reading.recorded_by_id is not None
    # Mornings on the patient's wall clock (the times survive the change to summer time).
    fasting = [r for r in readings if r.context == "fasting"]
    assert fasting
    assert all(
        dt.time(7) <= r.measured_at.astimezone(MADRID).time() <= dt.time(7, 40) for r in fasting
    )

    by_type = {t.type: t for t in targets}
    assert set(by_type) == {
        "blood_pressure",
        "blood_glucose",
        "heart_rate",
        "temperature",
        "oxygen_saturation",
        "weight",
    }
    assert (by_type["temperature"].min_value, by_type["temperature"].max_value) == (
        None,
        Decimal("37.8"),
    )
    for reading in readings:
        target = by_type.get(reading.type)
        assert reading.out_of_range == bool(
            target and target.breached(reading.value, reading.value_secondary)
        )
    flagged = sum(r.out_of_range for r in readings) / len(readings)
    assert 0.03 <= flagged <= 0.15
    # The illness two months ago: a fever that broke the target.
    fevers = [r for r in readings if r.type == "temperature" and r.out_of_range]
    assert fevers
    assert all(50 <= (today - r.measured_at.astimezone(MADRID).date()).days <= 70 for r in fevers)


@pytest.mark.usefixtures("seeded")
def test_rosa_has_a_journal_for_most_days() -> None:
    demo = User.objects.get(email="demo@example.com")
    with acting_as(demo.pk):
        entries = list(DailyLog.objects.all())
    today = NOW.date()
    assert all(today - dt.timedelta(days=DAYS) < e.log_date <= today for e in entries)
    assert all(e.created_at <= NOW for e in entries)
    by_author = [(e.log_date, e.created_by_id) for e in entries]
    assert len(by_author) == len(set(by_author))
    assert 0.65 * DAYS <= len({e.log_date for e in entries}) <= DAYS
    assert all(1 <= e.mood <= 5 and 0 <= e.pain_level <= 10 for e in entries)
    assert any("cough" in e.symptoms for e in entries)
    assert any("walk" in e.activities for e in entries)
    assert any(e.notes for e in entries)


@pytest.mark.usefixtures("seeded")
def test_the_other_family_has_a_few_weeks_and_sees_only_its_own() -> None:
    patient, readings, _ = _demo_data("other-family@example.com")
    assert patient.name == "Tom Becker"
    new_york = ZoneInfo("America/New_York")
    days = {r.measured_at.astimezone(new_york).date() for r in readings}
    assert 14 <= len(days) <= 31
    assert max(r.measured_at for r in readings) <= NOW
    assert {r.patient_id for r in readings} == {patient.pk}


def test_a_second_run_adds_nothing(settings, time_machine) -> None:
    time_machine.move_to(NOW, tick=False)
    settings.DEBUG = True
    call_command("seed_demo", verbosity=0)
    first = _counts()
    assert first["readings"] > 1000
    time_machine.move_to(NOW + dt.timedelta(days=1), tick=False)
    call_command("seed_demo", verbosity=0)
    assert _counts() == first


@pytest.mark.usefixtures("seeded")
def test_rosa_has_past_visits_with_outcomes_and_upcoming_ones() -> None:
    from appointments.models import Appointment

    demo = User.objects.get(email="demo@example.com")
    with acting_as(demo.pk):
        found = list(Appointment.objects.order_by("starts_at"))
    past = [a for a in found if a.starts_at < NOW]
    upcoming = [a for a in found if a.starts_at >= NOW]
    assert len(past) == 3
    assert len(upcoming) == 3
    assert {a.status for a in past} == {"completed", "missed"}
    assert all(a.outcome for a in past if a.status == "completed")
    assert {a.status for a in upcoming} == {"scheduled"}
    assert all(a.escort_id == demo.pk for a in found)
