"""Benchmark (not a test: run it by path, ``pytest bench/bench_dashboard.py -s``):
the dashboard and a patient's analytics with a year of data for 5 patients."""

from __future__ import annotations

import datetime as dt
import statistics
import time
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from conftest import add_medication, make_patient, make_user
from doses.models import Dose
from measurements.models import Measurement
from medications.models import MedicationSchedule
from medtrack.rls import system_context

pytestmark = pytest.mark.django_db
PATIENTS, MEDICATIONS, DAYS, RUNS = 5, 3, 365, 20


def a_year_of(patient, user) -> None:
    now = timezone.now()
    for number in range(MEDICATIONS):
        medication = add_medication(user, patient, f"Medication {number}")
        with system_context("bench"):
            schedule = MedicationSchedule.objects.filter(medication=medication).first()
            Dose.objects.filter(medication=medication, scheduled_for__lt=now).delete()
            Dose.objects.bulk_create(
                (
                    Dose(
                        patient=patient,
                        medication=medication,
                        schedule=schedule,
                        scheduled_for=now - dt.timedelta(days=day, hours=hour),
                        status=("taken", "taken", "taken", "skipped", "missed")[day % 5],
                        taken_at=now - dt.timedelta(days=day, hours=hour) if day % 5 < 3 else None,
                        amount=Decimal(1),
                    )
                    for day in range(1, DAYS)
                    for hour in (2, 14)
                ),
                batch_size=2000,
            )
    with system_context("bench"):
        Measurement.objects.bulk_create(
            (
                Measurement(
                    patient=patient,
                    type="blood_pressure",
                    value=Decimal(120 + day % 30),
                    value_secondary=Decimal(80),
                    unit="mm[Hg]",
                    measured_at=now - dt.timedelta(days=day),
                    out_of_range=day % 30 > 20,
                    recorded_by=user,
                )
                for day in range(DAYS)
            ),
            batch_size=2000,
        )


def timed(client: Client, url: str) -> float:
    """The median server time of ``RUNS`` requests (their query counts are fixed by
    the tests: dashboard/tests)."""
    client.get(url)  # warm
    times = []
    for _ in range(RUNS):
        started = time.perf_counter()
        assert client.get(url).status_code == 200
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def test_dashboard_and_analytics_with_a_year_for_five_patients() -> None:
    user = make_user("bench@example.com", "Bench Mark")
    patients = [make_patient(user, f"Patient {n}", dob=dt.date(1940 + n, 1, 1)) for n in range(5)]
    for patient in patients:
        a_year_of(patient, user)
    client = Client()
    client.force_login(user)
    for name, url in (
        ("dashboard", reverse("dashboard:home")),
        ("analytics", reverse("dashboard:analytics", args=[patients[0].pk])),
    ):
        print(f"\n{name}: median {timed(client, url):.1f} ms over {RUNS} requests")
