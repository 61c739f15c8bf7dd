"""The database makes the doses (doses.generation): exactly the instants that
``medications.recurrence.occurrences`` gives for the same schedule, DST
transitions included, in every zone; once, however often it runs."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts.models import User
from conftest import make_patient
from doses.generation import doses_generate
from doses.models import Dose
from medications.models import Medication, MedicationSchedule
from medications.recurrence import (
    DAILY,
    WEEKLY,
    Recurrence,
    occurrences,
    start_of_day,
)
from medications.tests.test_recurrence import recurrences
from medtrack.rls import system_context
from patients.models import Patient

pytestmark = pytest.mark.django_db

#: Zones with the transitions that matter: an hour either way, north and south,
#: half an hour (Lord Howe), a negative summer offset (Dublin), two hours (Troll).
ZONES = [
    "America/New_York",
    "Europe/Berlin",
    "Australia/Sydney",
    "Australia/Lord_Howe",
    "Europe/Dublin",
    "Antarctica/Troll",
    "America/Havana",
    "Asia/Kolkata",
    "UTC",
]


def schedule_for(patient: Patient, recurrence: Recurrence) -> MedicationSchedule:
    """``recurrence`` as a medication and its schedule, written directly (the
    services would generate doses themselves)."""
    with system_context("test"):
        medication = Medication.objects.create(
            patient=patient,
            name="Metformin",
            strength="500 mg",
            dose_amount=Decimal(1),
            dose_unit="tablet",
            start_date=recurrence.start,
            end_date=recurrence.end,
            created_by=patient.created_by,
        )
        return MedicationSchedule.objects.create(
            patient=patient,
            medication=medication,
            frequency=recurrence.frequency,
            times_of_day=list(recurrence.times),
            days_of_week=sorted(recurrence.weekdays) if recurrence.frequency == WEEKLY else [],
            interval=recurrence.interval if recurrence.frequency not in (DAILY, WEEKLY) else None,
            start_date=recurrence.start,
            end_date=recurrence.end,
        )


def made(schedule: MedicationSchedule) -> list[dt.datetime]:
    with system_context("test"):
        return sorted(
            Dose.objects.filter(schedule=schedule).values_list("scheduled_for", flat=True)
        )


def expected(
    recurrence: Recurrence, zone: ZoneInfo, since: dt.datetime, until: dt.datetime
) -> list[dt.datetime]:
    return occurrences(recurrence, zone, since, until)


@pytest.fixture
def patients(primary: User) -> dict[str, Patient]:
    return {zone: make_patient(primary, f"Patient {zone}", timezone=zone) for zone in ZONES}


@settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(recurrence=recurrences(), zone_name=st.sampled_from(ZONES), offset=st.integers(-3, 40))
def test_the_database_makes_exactly_the_doses_the_rule_gives(
    patients: dict[str, Patient], recurrence: Recurrence, zone_name: str, offset: int
) -> None:
    zone = ZoneInfo(zone_name)
    schedule = schedule_for(patients[zone_name], recurrence)
    now = start_of_day(recurrence.start + dt.timedelta(days=offset), zone) + dt.timedelta(hours=7)
    doses_generate(now=now, days=14, schedule_ids=[schedule.pk])
    case = f"{recurrence} in {zone_name} from {now}"
    assert made(schedule) == expected(recurrence, zone, now, now + dt.timedelta(days=14)), case
    # Again, and with the window moved on by a day: only the new day's doses come.
    assert doses_generate(now=now, days=14, schedule_ids=[schedule.pk]) == 0
    later = now + dt.timedelta(days=1)
    doses_generate(now=later, days=14, schedule_ids=[schedule.pk])
    assert made(schedule) == expected(recurrence, zone, now, later + dt.timedelta(days=14)), case


@pytest.mark.parametrize(
    ("zone_name", "day", "clock", "utc"),
    [
        # A time in the spring-forward gap moves on by the gap.
        ("America/New_York", "2026-03-08", "02:30", "2026-03-08T07:30"),
        ("Australia/Lord_Howe", "2026-10-04", "02:15", "2026-10-03T15:45"),
        # A time that occurs twice is taken at its first occurrence.
        ("America/New_York", "2026-11-01", "01:30", "2026-11-01T05:30"),
        ("Europe/Berlin", "2026-10-25", "02:30", "2026-10-25T00:30"),
        ("Australia/Lord_Howe", "2026-04-05", "01:45", "2026-04-04T14:45"),
        ("Europe/Dublin", "2026-10-25", "01:30", "2026-10-25T00:30"),
        ("Antarctica/Troll", "2026-10-25", "02:30", "2026-10-25T00:30"),
    ],
)
def test_transition_days_worked_out_by_hand(
    patients: dict[str, Patient], zone_name: str, day: str, clock: str, utc: str
) -> None:
    """DESIGN.md "Rules" 2 and 3, with the answers worked out by hand."""
    first = dt.date.fromisoformat(day)
    recurrence = Recurrence(DAILY, (dt.time.fromisoformat(clock),), start=first, end=first)
    schedule = schedule_for(patients[zone_name], recurrence)
    since = start_of_day(first, ZoneInfo(zone_name))
    doses_generate(now=since, days=2, schedule_ids=[schedule.pk])
    answer = dt.datetime.fromisoformat(utc).replace(tzinfo=dt.UTC)
    assert made(schedule) == [answer]
    assert expected(recurrence, ZoneInfo(zone_name), since, since + dt.timedelta(days=2)) == [
        answer
    ]
