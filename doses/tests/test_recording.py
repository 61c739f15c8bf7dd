"""Recording doses: one record per dose, whoever presses first."""

from __future__ import annotations

import datetime as dt
import threading
import uuid
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.db import connections
from django.test import Client
from django.urls import reverse

from accounts.models import User
from conftest import add_medication, add_member, as_member, make_patient, make_user
from doses import selectors, services
from doses.models import Dose
from medications.models import Medication
from medtrack.rls import acting_as, system_context
from patients.access import Area
from patients.models import Patient

pytestmark = pytest.mark.django_db
MADRID = ZoneInfo("Europe/Madrid")


@pytest.fixture(autouse=True)
def morning_in_madrid(time_machine) -> None:
    time_machine.move_to(dt.datetime(2026, 11, 25, 8, 3, tzinfo=MADRID), tick=False)


def todays(patient: Patient, name: str = "Metformin") -> list[Dose]:
    with system_context("test"):
        return list(
            Dose.objects.filter(
                patient=patient, medication__name=name, scheduled_for__date=dt.date(2026, 11, 25)
            ).order_by("scheduled_for")
        )


def fresh(dose: Dose) -> Dose:
    with system_context("test"):
        return Dose.objects.select_related("medication").get(pk=dose.pk)


def record(client: Client, patient: Patient, dose: Dose, **data: str):
    return client.post(reverse("doses:record", args=[patient.pk, dose.pk]), data, follow=True)


def test_taken_records_who_and_when_and_takes_from_the_stock(
    client: Client, patient: Patient, secondary: User
) -> None:
    with system_context("test"):
        Medication.objects.filter(patient=patient).update(quantity_on_hand=Decimal(10))
    _, evening = todays(patient)  # the fixture already recorded the morning dose
    client.force_login(secondary)

    record(client, patient, evening, action="taken")

    dose = fresh(evening)
    assert (
        dose.status,
        dose.recorded_by_id,
        dose.taken_at.astimezone(MADRID).strftime("%H:%M"),
    ) == ("taken", secondary.pk, "08:03")
    assert dose.medication.quantity_on_hand == Decimal(9)
    record(client, patient, evening, action="undo")
    assert fresh(evening).status == "pending"
    assert fresh(evening).medication.quantity_on_hand == Decimal(10)


def test_the_second_press_is_told_who_was_first(
    client: Client, patient: Patient, primary: User, secondary: User
) -> None:
    _, evening = todays(patient)
    client.force_login(primary)
    record(client, patient, evening, action="taken")
    client.force_login(secondary)

    page = record(client, patient, evening, action="taken").content.decode()
    htmx = client.post(
        reverse("doses:record", args=[patient.pk, evening.pk]),
        {"action": "taken"},
        HTTP_HX_REQUEST="true",
    ).content.decode()

    assert "Already recorded by Alice Primary at 08:03." in page
    assert "Already recorded by Alice Primary at 08:03." in htmx
    assert 'id="dose-' in htmx
    assert "<html" not in htmx
    assert fresh(evening).recorded_by_id == primary.pk


def test_a_skip_needs_a_reason(client: Client, patient: Patient, primary: User) -> None:
    _, evening = todays(patient)
    client.force_login(primary)
    assert (
        "Say briefly why"
        in record(client, patient, evening, action="skip", reason=" ").content.decode()
    )
    record(client, patient, evening, action="skip", reason="vomiting")
    assert (fresh(evening).status, fresh(evening).skip_reason) == ("skipped", "vomiting")


def test_the_sweep_marks_missed_once_and_a_missed_dose_can_still_be_taken(
    client: Client, patient: Patient, primary: User, time_machine
) -> None:
    _, evening = todays(patient)
    later = dt.datetime(2026, 11, 26, 0, 30, tzinfo=MADRID)
    time_machine.move_to(later, tick=False)
    call_command("sweep_missed_doses", verbosity=0)
    assert fresh(evening).status == "missed"
    assert services.doses_sweep_missed(now=later) == 0

    client.force_login(primary)
    record(client, patient, evening, action="taken")
    assert fresh(evening).status == "taken"
    assert selectors.state_of(fresh(evening), later) == "late"


def test_viewers_see_today_but_get_no_buttons(
    client: Client, patient: Patient, viewer: User
) -> None:
    client.force_login(viewer)
    page = client.get(reverse("doses:today", args=[patient.pk])).content.decode()
    assert "Metformin" in page
    assert ">Taken</button>" not in page


@pytest.mark.parametrize("count", [1, 50])
def test_today_runs_a_fixed_number_of_queries(
    client: Client, patient: Patient, primary: User, count: int, django_assert_num_queries
) -> None:
    for number in range(count - 1):
        add_medication(primary, patient, name=f"Extra {number:02}")
        add_medication(
            primary, patient, name=f"As needed {number:02}", is_prn=True, prn_max_per_day=4
        )
    add_medication(primary, patient, name="Painkiller", is_prn=True, prn_max_per_day=4)
    client.force_login(primary)
    # session, user, unread badge, savepoint, app.user_id, patient, access log, doses, as-needed
    # medications, their last 24 hours, app.user_id, release
    with django_assert_num_queries(12):
        response = client.get(reverse("doses:today", args=[patient.pk]))
    assert response.content.decode().count('class="dose dose-') == 2 * count


@pytest.mark.db_behaviour
@pytest.mark.django_db(transaction=True)
def test_ten_caregivers_pressing_taken_at_once_make_one_record() -> None:
    users = [
        make_user(f"c{n}-{uuid.uuid4().hex[:6]}@example.com", f"Carer {n}") for n in range(10)
    ]
    patient = make_patient(users[0], f"Busy patient {uuid.uuid4().hex[:6]}")
    for user in users[1:]:
        add_member(patient, user, "secondary")
    add_medication(users[0], patient, name="Shared")
    dose = todays(patient, "Shared")[0]
    barrier = threading.Barrier(10)
    outcomes: list[str] = []

    def press(user: User) -> None:
        try:
            with acting_as(user.pk):
                loaded = as_member(user, patient, Area.DOSES)
                barrier.wait(timeout=10)
                services.dose_take(patient=loaded, actor=user, dose_id=dose.pk)
            outcomes.append("recorded")
        except services.AlreadyRecorded as already:
            # Those who waited for the lock are told who was first, too.
            outcomes.append(f"already: {getattr(already.dose.recorded_by, 'name', None)}")
        except Exception as error:
            outcomes.append(type(error).__name__)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=press, args=(user,)) for user in users]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    with system_context("test"):
        taken = Dose.objects.select_related("recorded_by").get(pk=dose.pk)
    assert taken.status == "taken"
    assert sorted(outcomes) == [f"already: {taken.recorded_by.name}"] * 9 + ["recorded"]


class TestAsNeeded:
    """Paracetamol: at most 4 in 24 hours, at least 6 hours apart."""

    @pytest.fixture
    def paracetamol(self, patient: Patient, primary: User) -> Medication:
        return add_medication(
            primary,
            patient,
            name="Paracetamol",
            is_prn=True,
            prn_max_per_day=4,
            prn_min_interval_hours=Decimal(6),
        )

    def give(self, client: Client, patient: Patient, medication: Medication, **data: str):
        client.force_login(
            User.objects.get(pk=client.session["_auth_user_id"])
        )  # sessions last 12 h
        return client.post(
            reverse("doses:give_now", args=[patient.pk, medication.pk]),
            {"form_token": str(uuid.uuid4()), **data},
            follow=True,
        )

    def given(self, medication: Medication) -> int:
        with system_context("test"):
            return Dose.objects.filter(medication=medication, status="taken").count()

    def test_the_interval_is_enforced_to_the_minute(
        self,
        client: Client,
        patient: Patient,
        secondary: User,
        paracetamol: Medication,
        time_machine,
    ) -> None:
        client.force_login(secondary)
        self.give(client, patient, paracetamol)
        time_machine.move_to(dt.datetime(2026, 11, 25, 14, 2, tzinfo=MADRID), tick=False)
        refused = self.give(client, patient, paracetamol).content.decode()
        time_machine.move_to(dt.datetime(2026, 11, 25, 14, 3, tzinfo=MADRID), tick=False)
        self.give(client, patient, paracetamol)

        assert "Not yet: at least 6 hours apart. The next dose is allowed at 14:03." in refused
        assert self.given(paracetamol) == 2

    def test_the_daily_maximum_is_a_sliding_24_hours_across_midnight(
        self,
        client: Client,
        patient: Patient,
        secondary: User,
        paracetamol: Medication,
        time_machine,
    ) -> None:
        client.force_login(secondary)
        for hour in (8, 14, 20):
            time_machine.move_to(dt.datetime(2026, 11, 25, hour, 3, tzinfo=MADRID), tick=False)
            self.give(client, patient, paracetamol)
        time_machine.move_to(dt.datetime(2026, 11, 26, 2, 3, tzinfo=MADRID), tick=False)
        self.give(client, patient, paracetamol)  # the fourth, after midnight
        time_machine.move_to(dt.datetime(2026, 11, 26, 8, 2, tzinfo=MADRID), tick=False)
        refused = self.give(client, patient, paracetamol).content.decode()
        time_machine.move_to(dt.datetime(2026, 11, 26, 8, 4, tzinfo=MADRID), tick=False)
        self.give(client, patient, paracetamol)  # 08:03 yesterday has left the window

        assert "at most 4 doses in 24 hours. The next dose is allowed at 08:03." in refused
        assert self.given(paracetamol) == 5

    def test_only_a_primary_overrides_and_the_reason_is_kept(
        self,
        client: Client,
        patient: Patient,
        primary: User,
        secondary: User,
        paracetamol: Medication,
    ) -> None:
        client.force_login(secondary)
        self.give(client, patient, paracetamol)
        refused = self.give(
            client, patient, paracetamol, override_reason="doctor said so"
        ).content.decode()
        assert "Only a primary caregiver" in refused
        client.force_login(primary)
        page = client.get(reverse("doses:today", args=[patient.pk])).content.decode()
        assert "Give it anyway?" in page
        self.give(client, patient, paracetamol, override_reason="fever of 40, GP agreed")
        with system_context("test"):
            notes = list(
                Dose.objects.filter(medication=paracetamol).values_list("notes", flat=True)
            )
        assert "Limit overridden: fever of 40, GP agreed" in notes
        assert self.given(paracetamol) == 2

    def test_a_double_submit_records_one_dose(
        self, client: Client, patient: Patient, secondary: User, paracetamol: Medication
    ) -> None:
        client.force_login(secondary)
        token = str(uuid.uuid4())
        self.give(client, patient, paracetamol, form_token=token)
        again = self.give(client, patient, paracetamol, form_token=token).content.decode()
        assert "already recorded" in again
        assert self.given(paracetamol) == 1


@pytest.mark.parametrize("extra", [1, 60])
def test_history_pages_back_in_a_fixed_number_of_queries(
    client: Client, patient: Patient, primary: User, extra: int, django_assert_num_queries
) -> None:
    medication = add_medication(primary, patient, name="Old pills")
    with system_context("test"):
        Dose.objects.bulk_create(
            Dose(
                patient=patient,
                medication=medication,
                status="missed",
                amount=Decimal(1),
                scheduled_for=dt.datetime(2026, 11, 1, tzinfo=MADRID) - dt.timedelta(hours=n),
            )
            for n in range(extra)
        )
    client.force_login(primary)
    url = reverse("doses:history", args=[patient.pk])
    # session, user, unread badge, savepoint, app.user_id, patient, access log, doses, medications, app.user_id, release
    with django_assert_num_queries(11):
        first = client.get(url).context["page"]
    seen = [d.pk for d in first.doses]
    cursor = first.next_cursor
    while cursor:
        page = client.get(url, {"before": cursor}).context["page"]
        seen += [d.pk for d in page.doses]
        cursor = page.next_cursor
    assert len(seen) == len(set(seen)) == extra + 1  # and the fixture's taken dose
    assert client.get(url, {"before": "garbage"}).status_code == 200


def test_the_24_hours_are_real_hours_across_the_autumn_clock_change(
    patient: Patient, primary: User
) -> None:
    """Madrid falls back at 03:00 on 25 October 2026: that day has 25 hours."""
    medication = add_medication(
        primary,
        patient,
        name="Ibuprofen",
        is_prn=True,
        prn_max_per_day=2,
        prn_min_interval_hours=Decimal(1),
    )
    # Real-time arithmetic happens in UTC (aware datetimes in one zone add wall-clock time).
    first = dt.datetime(2026, 10, 25, 0, 30, tzinfo=MADRID).astimezone(dt.UTC)  # 00:30 CEST
    with system_context("test"):
        Dose.objects.create(
            patient=patient, medication=medication, status="taken", taken_at=first, amount=1
        )
        Dose.objects.create(
            patient=patient,
            medication=medication,
            status="taken",
            taken_at=first + dt.timedelta(hours=5),
            amount=1,
        )
        medication.refresh_from_db()
        next_allowed, rule = services.prn_next_allowed(
            medication, first + dt.timedelta(hours=23, minutes=59)
        )

    assert next_allowed == first + dt.timedelta(hours=24)
    assert (
        next_allowed.astimezone(MADRID).strftime("%d %H:%M %Z") == "25 23:30 CET"
    )  # on the wall clock
    assert rule == "at most 2 doses in 24 hours"


def test_errors_under_htmx_come_back_inside_the_row(
    client: Client, patient: Patient, primary: User
) -> None:
    _, evening = todays(patient)
    client.force_login(primary)
    response = client.post(
        reverse("doses:record", args=[patient.pk, evening.pk]),
        {"action": "skip", "reason": ""},
        HTTP_HX_REQUEST="true",
    )
    content = response.content.decode()
    assert "Say briefly why" in content
    assert "<html" not in content


def test_as_needed_doses_are_not_undone_through_the_row_endpoint(
    client: Client, patient: Patient, primary: User
) -> None:
    paracetamol = add_medication(
        primary, patient, name="Paracetamol", is_prn=True, prn_max_per_day=4
    )
    client.force_login(primary)
    client.post(
        reverse("doses:give_now", args=[patient.pk, paracetamol.pk]),
        {"form_token": str(uuid.uuid4())},
    )
    with system_context("test"):
        given = Dose.objects.get(medication=paracetamol)
    response = client.post(
        reverse("doses:record", args=[patient.pk, given.pk]),
        {"action": "undo"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 404
    assert fresh(given).status == "taken"


def test_each_as_needed_medication_gets_its_own_form_token(
    client: Client, patient: Patient, primary: User
) -> None:
    add_medication(primary, patient, name="Paracetamol", is_prn=True, prn_max_per_day=4)
    add_medication(primary, patient, name="Ibuprofen", is_prn=True, prn_max_per_day=4)
    client.force_login(primary)
    page = client.get(reverse("doses:today", args=[patient.pk])).content.decode()
    import re

    tokens = re.findall(r'name="form_token" value="([0-9a-f-]+)"', page)
    assert len(tokens) == len(set(tokens)) == 2


def test_history_groups_by_the_patients_day(
    client: Client, patient: Patient, primary: User
) -> None:
    medication = add_medication(primary, patient, name="Night pill")
    with system_context("test"):
        Dose.objects.create(
            patient=patient,
            medication=medication,
            status="missed",
            amount=Decimal(1),
            scheduled_for=dt.datetime(2026, 11, 20, 0, 30, tzinfo=MADRID),  # 19 Nov in UTC
        )
    client.force_login(primary)
    page = client.get(
        reverse("doses:history", args=[patient.pk]), {"medication": str(medication.pk)}
    )
    content = page.content.decode()
    assert "Friday 20 November 2026" in content
    assert "Thursday 19 November 2026" not in content


@pytest.mark.parametrize(
    "cursor",
    [
        "0001-01-01T00:00:00+23:59|00000000-0000-0000-0000-000000000000",
        "9999-12-31T23:59:59-23:59|00000000-0000-0000-0000-000000000000",
        "not-a-date|x",
    ],
)
def test_a_mangled_history_cursor_is_a_first_page(
    client: Client, patient: Patient, primary: User, cursor: str
) -> None:
    client.force_login(primary)
    response = client.get(reverse("doses:history", args=[patient.pk]), {"before": cursor})
    assert response.status_code == 200
