"""Medication pages, and the doses they produce."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from conftest import add_medication, edit_patient
from doses.models import Dose
from medications.models import Medication, MedicationSchedule
from medtrack.rls import system_context
from patients.models import Patient

pytestmark = pytest.mark.django_db

MADRID = ZoneInfo("Europe/Madrid")


def url(name: str, patient: Patient, *args: object) -> str:
    return reverse(f"medications:{name}", args=[patient.pk, *args])


def doses_of(medication: Medication) -> list[Dose]:
    with system_context("test"):
        return list(Dose.objects.filter(medication=medication).order_by("scheduled_for"))


def local_times(doses: list[Dose]) -> list[str]:
    return [d.scheduled_for.astimezone(MADRID).strftime("%m-%d %H:%M") for d in doses]


@pytest.fixture(autouse=True)
def morning_in_madrid(time_machine) -> None:
    """25 November 2026, 09:00 in Madrid, for every test here (fixtures included)."""
    time_machine.move_to(dt.datetime(2026, 11, 25, 9, 0, tzinfo=MADRID), tick=False)


MEDICATION = {
    "name": "Amoxicillin",
    "strength": "500 mg",
    "form": "capsule",
    "dose_amount": "1",
    "dose_unit": "capsule",
    "instructions": "with food",
    "start_date": "2026-11-25",
}


class TestAddingAMedication:
    def test_a_medication_then_its_schedule_with_a_preview(
        self, client: Client, patient: Patient, secondary: User
    ) -> None:
        client.force_login(secondary)
        response = client.post(url("create", patient), MEDICATION)
        with system_context("test"):
            medication = Medication.objects.get(name="Amoxicillin")
        assert response["Location"] == url("schedule_create", patient, medication.pk)

        schedule = {
            "frequency": "every_n_hours",
            "times": ["06:00"],
            "interval": "8",
            "start_date": "2026-11-25",
            "end_date": "2026-12-01",
        }
        preview = client.post(
            url("schedule_create", patient, medication.pk), {**schedule, "preview": "1"}
        )
        assert [i.strftime("%d %H:%M") for i in preview.context["preview"][:3]] == [
            "25 14:00",
            "25 22:00",
            "26 06:00",
        ]
        assert not doses_of(medication)  # a preview saves nothing

        saved = client.post(
            url("schedule_create", patient, medication.pk), {**schedule, "save": "1"}
        )
        assert saved["Location"] == url("detail", patient, medication.pk)
        doses = doses_of(medication)
        assert local_times(doses)[:4] == [
            "11-25 06:00",
            "11-25 14:00",
            "11-25 22:00",
            "11-26 06:00",
        ]
        assert local_times(doses)[-1] == "12-01 22:00"
        assert len(doses) == 7 * 3

    def test_impossible_schedules_are_refused_on_the_field(
        self, client: Client, patient: Patient, primary: User
    ) -> None:
        client.force_login(primary)
        medication = add_medication(primary, patient, name="Aspirin")
        cases = [
            ({"frequency": "daily", "times": [""]}, "times", "Add at least one time"),
            (
                {"frequency": "weekly", "times": ["08:00"]},
                "days_of_week",
                "Choose at least one day",
            ),
            (
                {"frequency": "every_n_hours", "times": ["08:00"], "interval": "0"},
                "interval",
                "greater than or equal to 1",
            ),
            ({"frequency": "every_n_hours", "times": ["08:00"]}, "interval", "every how many"),
            (
                {"frequency": "daily", "times": ["08:00"], "end_date": "2026-11-01"},
                "end_date",
                "before the start",
            ),
            ({"frequency": "daily", "times": ["25:00"]}, "times", "is not a time"),
            (
                {"frequency": "daily", "times": ["08:00"], "dose_amount": "0"},
                "dose_amount",
                "greater than or equal to",
            ),
        ]
        for data, field, message in cases:
            response = client.post(
                url("schedule_create", patient, medication.pk),
                {"start_date": "2026-11-25", "save": "1", **data},
            )
            assert response.status_code == 200
            assert message in str(response.context["form"].errors.get(field)), (
                data,
                response.context["form"].errors,
            )

    def test_a_taper_in_steps_with_its_plan(
        self, client: Client, patient: Patient, primary: User
    ) -> None:
        client.force_login(primary)
        medication = add_medication(primary, patient, name="Prednisone", dose_unit="tablet")
        with system_context("test"):
            MedicationSchedule.objects.filter(medication=medication).delete()
            Dose.objects.filter(medication=medication).delete()
        data = {
            "start_date": "2026-11-26",
            "times": ["08:00"],
            "step1_amount": "2",
            "step1_days": "5",
            "step2_amount": "1",
            "step2_days": "5",
            "step3_amount": "0.5",
            "step3_days": "3",
        }

        plan = client.post(url("taper", patient, medication.pk), {**data, "preview": "1"}).context[
            "plan"
        ]
        client.post(url("taper", patient, medication.pk), {**data, "save": "1"})

        assert [(step["first"].day, step["last"].day) for step in plan] == [
            (26, 30),
            (1, 5),
            (6, 8),
        ]
        amounts = [str(d.amount.normalize()) for d in doses_of(medication)]
        assert amounts == ["2"] * 5 + ["1"] * 5 + ["0.5"] * 3
        with system_context("test"):
            assert Medication.objects.get(pk=medication.pk).end_date == dt.date(2026, 12, 8)

    def test_an_as_needed_medication_has_no_schedule_and_no_doses(
        self, client: Client, patient: Patient, primary: User
    ) -> None:
        client.force_login(primary)
        response = client.post(
            url("create", patient), {**MEDICATION, "name": "Paracetamol", "is_prn": "on"}
        )
        assert "at most in 24 hours" in response.content.decode()
        response = client.post(
            url("create", patient),
            {
                **MEDICATION,
                "name": "Paracetamol",
                "is_prn": "on",
                "prn_max_per_day": "4",
                "prn_min_interval_hours": "6",
            },
        )
        with system_context("test"):
            medication = Medication.objects.get(name="Paracetamol")
        assert response["Location"] == url("detail", patient, medication.pk)
        assert doses_of(medication) == []
        assert (
            "at most 4 doses in 24 hours, at least 6 hours apart"
            in client.get(url("list", patient)).content.decode()
        )


class TestChanges:
    def test_editing_a_schedule_only_touches_future_pending_doses(
        self, client: Client, patient: Patient, primary: User
    ) -> None:
        client.force_login(primary)
        medication = add_medication(primary, patient, name="Lisinopril")
        past = [d for d in doses_of(medication) if d.scheduled_for < timezone.now()]
        with system_context("test"):
            schedule = MedicationSchedule.objects.get(medication=medication)
        client.post(
            url("schedule_edit", patient, medication.pk, schedule.pk),
            {
                "frequency": "daily",
                "times": ["09:30"],
                "start_date": str(schedule.start_date),
                "save": "1",
            },
        )

        doses = doses_of(medication)
        assert [d for d in doses if d.scheduled_for < timezone.now()] == past
        future = local_times([d for d in doses if d.scheduled_for > timezone.now()])
        assert future[0] == "11-25 09:30"
        assert all(t.endswith("09:30") for t in future)

    def test_pausing_withdraws_future_doses_and_resuming_brings_them_back(
        self, client: Client, patient: Patient, primary: User
    ) -> None:
        client.force_login(primary)
        medication = add_medication(primary, patient, name="Warfarin")
        before = len(doses_of(medication))
        client.post(
            url("status", patient, medication.pk), {"status": "paused", "reason": "bleeding gums"}
        )
        assert all(d.scheduled_for < timezone.now() for d in doses_of(medication))
        client.post(url("status", patient, medication.pk), {"status": "active"})
        assert len(doses_of(medication)) == before
        detail = client.get(url("detail", patient, medication.pk)).content.decode()
        assert "Active" in detail

    def test_a_new_time_zone_moves_future_doses_to_the_new_wall_clock(
        self, patient: Patient, primary: User
    ) -> None:
        medication = add_medication(primary, patient, name="Levothyroxine")
        edit_patient(patient, primary, timezone="America/New_York")
        new_york = ZoneInfo("America/New_York")
        future = [d for d in doses_of(medication) if d.scheduled_for > timezone.now()]
        assert {d.scheduled_for.astimezone(new_york).strftime("%H:%M") for d in future} == {
            "08:00",
            "20:00",
        }

    def test_generation_is_idempotent_and_pending_doses_are_not_history(
        self, patient: Patient, primary: User
    ) -> None:
        medication = add_medication(primary, patient, name="Simvastatin")
        count = len(doses_of(medication))
        call_command("generate_doses", verbosity=0)
        call_command("generate_doses", verbosity=0)
        assert len(doses_of(medication)) == count
        with system_context("test"):
            from doses.models import Dose as DoseModel

            events = DoseModel.pgh_event_model.objects.filter(pgh_obj__medication=medication)
            assert events.count() == 0


@pytest.mark.parametrize("count", [1, 50])
def test_the_list_and_the_schedule_form_run_a_fixed_number_of_queries(
    client: Client, patient: Patient, primary: User, count: int, django_assert_num_queries
) -> None:
    with system_context("test"):
        first = Medication.objects.get(patient=patient)
        MedicationSchedule.objects.bulk_create(
            MedicationSchedule(
                patient=patient,
                medication=Medication.objects.create(
                    patient=patient,
                    name=f"Med {n}",
                    dose_amount=1,
                    dose_unit="tablet",
                    start_date=first.start_date,
                    created_by=primary,
                ),
                frequency="daily",
                times_of_day=[dt.time(8)],
                start_date=first.start_date,
            )
            for n in range(count - 1)
        )
    client.force_login(primary)
    # session, user, unread badge, savepoint, app.user_id, patient, access log, medications, schedules,
    # app.user_id, release (the last two and the savepoint in tests only)
    with django_assert_num_queries(11):
        response = client.get(url("list", patient))
    assert response.content.decode().count('class="medication"') == count
    with django_assert_num_queries(10):  # as above, with the medication instead of the list
        client.get(url("schedule_create", patient, first.pk))


def test_editing_only_the_notes_keeps_the_pending_doses(
    client: Client, patient: Patient, primary: User
) -> None:
    """A Today page open on a dose still records it after someone edits the notes."""
    from doses.models import Dose
    from medications.models import Medication
    from medtrack.rls import system_context

    with system_context("test"):
        medication = Medication.objects.get(patient=patient)
        pending = set(
            Dose.objects.filter(medication=medication, status="pending").values_list(
                "pk", flat=True
            )
        )
    client.force_login(primary)
    url = reverse("medications:edit", args=[patient.pk, medication.pk])
    form = client.get(url).context["form"]
    data = {k: v for k, v in form.initial.items() if v is not None}
    data["instructions"] = "With breakfast and dinner"
    data["start_date"] = form.initial["start_date"].isoformat()
    client.post(url, data)
    with system_context("test"):
        assert Medication.objects.get(pk=medication.pk).instructions == "With breakfast and dinner"
        after = set(
            Dose.objects.filter(medication=medication, status="pending").values_list(
                "pk", flat=True
            )
        )
    assert after == pending
