"""An edit over someone else's newer save is refused, showing what is saved now.

For each record people edit (patients, medications, schedules, appointments,
target ranges): Alice opens the form, Bob saves a change, Alice submits. Her
save is refused (the form comes back, 200, with what she typed), the message
shows Bob's values, and the database keeps Bob's. Submitting again (now
against Bob's version) saves. The forms are read from the rendered page, as a
browser would send them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import User
from appointments import services as appointments
from appointments.models import Appointment
from conftest import edit_patient, set_target
from measurements.models import MeasurementThreshold
from medications import services as medications
from medications.models import Medication, MedicationSchedule
from medtrack.rls import acting_as, system_context
from medtrack.tests.pageforms import main_form
from patients.access import Area
from patients.models import Patient

pytestmark = pytest.mark.django_db


def _medication(patient: Patient) -> Medication:
    with system_context("test"):
        return Medication.objects.get(patient=patient)


def _schedule(patient: Patient) -> MedicationSchedule:
    with system_context("test"):
        return MedicationSchedule.objects.get(patient=patient)


def _appointment(patient: Patient) -> Appointment:
    with system_context("test"):
        return Appointment.objects.get(patient=patient)


def _threshold(patient: Patient) -> MeasurementThreshold:
    with system_context("test"):
        return MeasurementThreshold.objects.get(patient=patient, type="blood_pressure")


def _loaded(user: User, patient: Patient, area: Area) -> Patient:
    from conftest import as_member

    return as_member(user, patient, area)


@dataclass(frozen=True)
class Case:
    """One record: its edit page, Bob's change, Alice's and how to read them back."""

    url: Callable[[Patient], str]
    bob_saves: Callable[[User, Patient], None]
    alice_types: dict[str, object]
    #: What the page shows of Bob's save.
    bobs_value_shown: str
    #: The record's value now: Bob's after the conflict, Alice's after her second save.
    saved: Callable[[Patient], object]
    bobs: object
    alices: object


def _bob_edits_medication(bob: User, patient: Patient) -> None:
    loaded = _loaded(bob, patient, Area.MEDICATIONS)
    with acting_as(bob.pk):
        medications.medication_update(
            patient=loaded,
            actor=bob,
            medication=_medication(patient),
            instructions="With breakfast, says Dr. Ruiz",
        )


def _bob_edits_schedule(bob: User, patient: Patient) -> None:
    loaded = _loaded(bob, patient, Area.MEDICATIONS)
    with acting_as(bob.pk):
        medications.schedule_update(
            patient=loaded,
            actor=bob,
            schedule=_schedule(patient),
            times_of_day=[dt.time(9, 15), dt.time(21, 15)],
        )


def _bob_edits_appointment(bob: User, patient: Patient) -> None:
    loaded = _loaded(bob, patient, Area.APPOINTMENTS)
    with acting_as(bob.pk):
        appointments.appointment_update(
            patient=loaded,
            actor=bob,
            appointment=_appointment(patient),
            version=None,
            title="Cardiology, moved to room 12",
        )


CASES = {
    "patient": Case(
        url=lambda p: reverse("patients:edit", args=[p.pk]),
        bob_saves=lambda bob, p: edit_patient(p, bob, allergies=["latex", "iodine"]),
        alice_types={"allergies": ["pollen"]},
        bobs_value_shown="latex, iodine",
        saved=lambda p: Patient.objects.get(pk=p.pk).allergies,
        bobs=["latex", "iodine"],
        alices=["pollen"],
    ),
    "medication": Case(
        url=lambda p: reverse("medications:edit", args=[p.pk, _medication(p).pk]),
        bob_saves=_bob_edits_medication,
        alice_types={"instructions": "At bedtime"},
        bobs_value_shown="With breakfast, says Dr. Ruiz",
        saved=lambda p: _medication(p).instructions,
        bobs="With breakfast, says Dr. Ruiz",
        alices="At bedtime",
    ),
    "schedule": Case(
        url=lambda p: reverse(
            "medications:schedule_edit", args=[p.pk, _medication(p).pk, _schedule(p).pk]
        ),
        bob_saves=_bob_edits_schedule,
        alice_types={"times": ["07:00", "19:00"], "save": "1"},
        bobs_value_shown="09:15, 21:15",
        saved=lambda p: _schedule(p).times_of_day,
        bobs=[dt.time(9, 15), dt.time(21, 15)],
        alices=[dt.time(7), dt.time(19)],
    ),
    "appointment": Case(
        url=lambda p: reverse("appointments:edit", args=[p.pk, _appointment(p).pk]),
        bob_saves=_bob_edits_appointment,
        alice_types={"title": "Cardiology with Dr. Soto"},
        bobs_value_shown="Cardiology, moved to room 12",
        saved=lambda p: _appointment(p).title,
        bobs="Cardiology, moved to room 12",
        alices="Cardiology with Dr. Soto",
    ),
    "target range": Case(
        url=lambda p: reverse("measurements:target", args=[p.pk, "blood_pressure"]),
        bob_saves=lambda bob, p: set_target(bob, p, "blood_pressure", Decimal(95), Decimal(135)),
        alice_types={"max_value": "150"},
        bobs_value_shown="135",
        saved=lambda p: _threshold(p).max_value,
        bobs=Decimal(135),
        alices=Decimal(150),
    ),
}


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_a_stale_edit_is_refused_showing_the_newer_values(
    client: Client, patient: Patient, primary: User, secondary: User, case: Case
) -> None:
    client.force_login(primary)
    url = case.url(patient)
    opened = main_form(client.get(url).content.decode())
    assert "version" in opened.names

    case.bob_saves(secondary, patient)
    response = client.post(url, opened.data(**case.alice_types))

    assert response.status_code == 200  # the form again, not a redirect
    page = response.content.decode()
    assert "Someone else" in page
    assert case.bobs_value_shown in page
    with system_context("test"):
        assert case.saved(patient) == case.bobs
    # What Alice typed is still in the form, now against Bob's version: saving again decides.
    again = main_form(page)
    for name, value in case.alice_types.items():
        if name != "save":
            kept = again.data()[name]
            assert [v for v in kept if v] == value if isinstance(kept, list) else kept == value
    assert client.post(url, again.data(**case.alice_types)).status_code == 302
    with system_context("test"):
        assert case.saved(patient) == case.alices


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_an_edit_nobody_raced_is_saved(
    client: Client, patient: Patient, secondary: User, case: Case
) -> None:
    client.force_login(secondary)
    url = case.url(patient)
    opened = main_form(client.get(url).content.decode())
    response = client.post(url, opened.data(**case.alice_types))
    assert response.status_code == 302
    with system_context("test"):
        assert case.saved(patient) == case.alices
