"""Analytics against hand-built cases: weeks in the patient's zone across a DST
change, a medication started mid-week, missed hours, as-needed use, and the
medication changes marked on the vital-sign chart."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from conftest import add_medication, add_reading, as_member, make_patient
from dashboard import analytics
from doses.models import Dose
from medications import services as medications
from medications.models import Medication, MedicationSchedule
from medtrack.rls import acting_as, system_context
from patients.access import Area
from patients.models import Patient

pytestmark = pytest.mark.django_db
MADRID = ZoneInfo("Europe/Madrid")
# A Wednesday, ten days after the clocks went back (Sunday 25 Oct 2026, 03:00 → 02:00).
NOW = dt.datetime(2026, 11, 4, 12, 0, tzinfo=MADRID)


@pytest.fixture(autouse=True)
def wednesday(time_machine) -> None:
    time_machine.move_to(NOW, tick=False)


def local(day: int, month: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, minute, tzinfo=MADRID)


def doses(medication: Medication, *rows: tuple[dt.datetime, str, int | None]) -> None:
    """Doses as the record would have them: (time, status, minutes late if taken)."""
    with system_context("test"):
        schedule = MedicationSchedule.objects.filter(medication=medication).first()
        Dose.objects.filter(medication=medication).delete()
        Dose.objects.bulk_create(
            Dose(
                patient_id=medication.patient_id,
                medication=medication,
                schedule=schedule,
                scheduled_for=at,
                status=status,
                taken_at=at + dt.timedelta(minutes=late or 0) if status == "taken" else None,
                amount=Decimal(1),
            )
            for at, status, late in rows
        )


@pytest.fixture
def rosa(primary: User) -> Patient:
    return make_patient(primary, "Rosa Weeks")


def week(result: analytics.Adherence, day: dt.date) -> analytics.Week:
    return result.overall[day]


def test_weeks_are_the_patients_across_the_dst_change(rosa: Patient, primary: User) -> None:
    metformin = add_medication(primary, rosa, "Metformin", start_date=dt.date(2026, 10, 1))
    doses(
        metformin,
        (local(19, 10, 0, 30), "taken", 0),  # Monday 00:30 CEST: already this week
        (local(18, 10, 23, 30), "missed", None),  # Sunday 23:30 CEST: the week before
        (local(21, 10, 8), "taken", 90),  # taken late
        (local(23, 10, 8), "skipped", None),
        (local(25, 10, 2, 30), "missed", None),  # the night the clocks go back
        (local(25, 10, 23, 30), "taken", 5),  # Sunday 23:30 CET = Sunday, same week
        (local(26, 10, 0, 30), "missed", None),  # Monday 00:30: the next week
        (local(4, 11, 8), "taken", 0),  # this week
        (local(4, 11, 20), "pending", None),  # not due yet: not counted
    )
    with acting_as(rosa.created_by_id):
        result = analytics.adherence(rosa, timezone.now())
    assert result.weeks[-1] == dt.date(2026, 11, 2)
    assert len(result.weeks) == 12
    dst_week = week(result, dt.date(2026, 10, 19))
    assert (dst_week.taken, dst_week.late, dst_week.skipped, dst_week.missed) == (2, 1, 1, 1)
    assert dst_week.percent == 60  # 3 given of 5
    after = week(result, dt.date(2026, 10, 26))
    assert (after.taken, after.missed, after.percent) == (0, 1, 0)
    assert week(result, dt.date(2026, 11, 2)).counted == 1
    assert week(result, dt.date(2026, 10, 12)).missed == 1
    assert result.total(result.overall).counted == 8


def test_a_medication_started_mid_week_counts_from_its_start(rosa: Patient, primary: User) -> None:
    metformin = add_medication(primary, rosa, "Metformin", start_date=dt.date(2026, 10, 1))
    doses(metformin, (local(27, 10, 8), "taken", 0), (local(28, 10, 8), "taken", 0))
    statin = add_medication(primary, rosa, "Atorvastatin", start_date=dt.date(2026, 10, 29))
    doses(statin, (local(29, 10, 21), "taken", 0), (local(30, 10, 21), "missed", None))
    with acting_as(rosa.created_by_id):
        result = analytics.adherence(rosa, timezone.now())
    week_of = dt.date(2026, 10, 26)
    assert result.medications["Atorvastatin"][week_of].counted == 2  # Thursday and Friday
    assert result.medications["Atorvastatin"][dt.date(2026, 10, 19)].counted == 0
    assert result.medications["Atorvastatin"][week_of].percent == 50
    assert result.overall[week_of].percent == 75  # 3 of 4 across both


def test_when_doses_are_missed_most_in_local_hours(rosa: Patient, primary: User) -> None:
    metformin = add_medication(primary, rosa, "Metformin", start_date=dt.date(2026, 10, 1))
    doses(
        metformin,
        (local(20, 10, 20), "missed", None),  # CEST
        (local(27, 10, 20), "missed", None),  # CET: still 20:00 on Rosa's clock
        (local(28, 10, 8), "missed", None),
        (local(29, 10, 8), "taken", 0),
    )
    with acting_as(primary.pk):
        assert analytics.missed_hours(rosa, timezone.now()) == [(20, 2), (8, 1)]


def test_as_needed_use_by_week(rosa: Patient, primary: User) -> None:
    paracetamol = add_medication(
        primary, rosa, "Paracetamol", is_prn=True, prn_max_per_day=4, prn_min_interval_hours=4
    )
    with system_context("test"):
        Dose.objects.bulk_create(
            Dose(
                patient=rosa,
                medication=paracetamol,
                scheduled_for=None,
                status="taken",
                taken_at=at,
                amount=Decimal(1),
            )
            for at in (local(27, 10, 9), local(27, 10, 15), local(3, 11, 9))
        )
    with acting_as(primary.pk):
        weeks, use = analytics.as_needed_use(rosa, timezone.now())
    assert use["Paracetamol"][dt.date(2026, 10, 26)] == 2
    assert use["Paracetamol"][dt.date(2026, 11, 2)] == 1
    assert sum(use["Paracetamol"].values()) == 3
    assert weeks[-1] == dt.date(2026, 11, 2)


def test_medication_changes_are_marked_on_the_chart(
    client: Client, rosa: Patient, primary: User, time_machine
) -> None:
    time_machine.move_to(local(20, 10, 9), tick=False)
    amlodipine = add_medication(
        primary, rosa, "Amlodipine", strength="5 mg", start_date=dt.date(2026, 10, 20)
    )
    add_reading(primary, rosa, "blood_pressure", Decimal(150), Decimal(95))
    time_machine.move_to(local(28, 10, 9), tick=False)
    with acting_as(primary.pk):
        medications.medication_update(
            patient=as_member(primary, rosa, Area.MEDICATIONS),
            actor=primary,
            medication=amlodipine,
            dose_amount=Decimal(2),
        )
    add_reading(primary, rosa, "blood_pressure", Decimal(132), Decimal(84))
    time_machine.move_to(NOW, tick=False)
    with acting_as(primary.pk):
        changes = analytics.medication_changes(rosa, NOW - dt.timedelta(days=90), NOW)
    assert [c.text for c in changes] == ["Amlodipine started", "Amlodipine: new dose"]
    client.force_login(primary)
    page = client.get(reverse("dashboard:analytics", args=[rosa.pk])).content.decode()
    assert page.count('class="chart-marker"') == 2
    assert "1: Amlodipine started (20 Oct). 2: Amlodipine: new dose (28 Oct)." in page
    assert "20 Oct: Amlodipine started" in page  # on Rosa's calendar, not UTC's
    assert "28 Oct: Amlodipine: new dose" in page


def test_each_part_only_for_those_who_may_see_it(
    client: Client, patient: Patient, secondary: User
) -> None:
    from caregivers.models import PatientCaregiver

    with system_context("test"):
        PatientCaregiver.objects.filter(patient=patient, caregiver=secondary).update(
            permissions={"doses": "none", "logs": "none"}
        )
    client.force_login(secondary)
    page = client.get(reverse("dashboard:analytics", args=[patient.pk])).content.decode()
    assert "Doses, week by week" not in page
    assert "Journal, last 90 days" not in page
    assert "Blood pressure and medication changes" in page


@pytest.mark.parametrize("history_days", [3, 365])
def test_the_page_costs_the_same_with_a_year_of_history(
    client: Client, primary: User, history_days: int, django_assert_num_queries
) -> None:
    rosa = make_patient(primary, "Rosa Long")
    metformin = add_medication(primary, rosa, "Metformin", start_date=dt.date(2025, 1, 1))
    doses(
        metformin,
        *(
            (NOW - dt.timedelta(days=n, hours=4), "taken" if n % 5 else "missed", 0)
            for n in range(history_days)
        ),
    )
    for n in range(0, history_days, 7):
        add_reading(
            primary,
            rosa,
            "blood_pressure",
            Decimal(140),
            Decimal(90),
            at=NOW - dt.timedelta(days=n),
        )
    client.force_login(primary)
    # session, user, badge, savepoint, app.user_id, patient, access log, adherence,
    # missed hours, as-needed, readings, target, medication history, user's settings
    # (units), journal, restore, release
    with django_assert_num_queries(16):
        response = client.get(reverse("dashboard:analytics", args=[rosa.pk]))
    assert response.status_code == 200
