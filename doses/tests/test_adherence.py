"""Adherence as DESIGN.md defines it, on hand-built cases."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from conftest import add_medication
from doses.models import Dose
from doses.selectors import adherence
from medications.models import MedicationSchedule
from medtrack.rls import system_context
from patients.models import Patient

pytestmark = pytest.mark.django_db


def build(patient: Patient, primary: User, statuses: list[tuple[int, str]]) -> None:
    """Doses of a fresh daily medication, ``days_ago`` → status (future ones too)."""
    medication = add_medication(primary, patient, name="Built")
    now = timezone.now()
    with system_context("test"):
        schedule = MedicationSchedule.objects.get(medication=medication)
        Dose.objects.filter(medication=medication).delete()
        Dose.objects.bulk_create(
            Dose(
                patient=patient,
                medication=medication,
                schedule=schedule,
                scheduled_for=now - dt.timedelta(days=days_ago, minutes=1),
                status=status,
                taken_at=now - dt.timedelta(days=days_ago) if status == "taken" else None,
                amount=Decimal(1),
            )
            for days_ago, status in statuses
        )
        # As-needed doses never count.
        prn = add_medication(primary, patient, name="As needed", is_prn=True, prn_max_per_day=4)
    with system_context("test"):
        Dose.objects.create(
            patient=patient, medication=prn, status="taken", taken_at=now, amount=Decimal(1)
        )


def test_taken_over_taken_missed_and_skipped_with_skips_shown(
    patient: Patient, primary: User
) -> None:
    with system_context("test"):
        Dose.objects.filter(patient=patient).delete()
    build(
        patient,
        primary,
        [
            (1, "taken"),
            (2, "taken"),
            (3, "taken"),
            (4, "missed"),
            (5, "skipped"),
            (10, "missed"),
            (40, "taken"),
            (0, "pending"),
            (-1, "pending"),
        ],
    )
    with system_context("test"):
        overall, rows = adherence(patient, timezone.now())
    week, month, quarter = (overall.windows[d] for d in (7, 30, 90))
    assert (week.taken, week.missed, week.skipped, week.percent) == (3, 1, 1, 60)
    assert (month.counted, month.percent) == (6, 50)
    assert (quarter.counted, quarter.percent) == (7, 57)
    assert [row.name for row in rows] == ["Built"]


def test_the_patient_page_shows_adherence_and_refills(
    client: Client, patient: Patient, primary: User
) -> None:
    with system_context("test"):
        from medications.models import Medication

        Medication.objects.filter(patient=patient).update(
            quantity_on_hand=Decimal(3), refill_threshold=Decimal(5)
        )
    client.force_login(primary)
    page = client.get(reverse("patients:detail", args=[patient.pk])).content.decode()
    assert "Refill soon" in page
    assert "3 left" in page
    assert "Doses taken" in page
    assert "All medications" in page
