"""Recording readings: validation, units, flags against targets, editing, the pages."""

from __future__ import annotations

import datetime as dt
import threading
import uuid
import xml.etree.ElementTree as ET
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.db import connections
from django.test import Client
from django.urls import reverse

from accounts.models import User
from conftest import add_member, add_reading, as_member, make_patient, make_user, set_target
from measurements import services
from measurements.forms import MeasurementForm, ThresholdForm
from measurements.kinds import KINDS
from measurements.models import Measurement
from medtrack.rls import acting_as, system_context
from patients.access import Area
from patients.models import Patient

pytestmark = pytest.mark.django_db
MADRID = ZoneInfo("Europe/Madrid")
NOW = dt.datetime(2026, 11, 25, 9, 30, tzinfo=MADRID)


@pytest.fixture(autouse=True)
def morning_in_madrid(time_machine) -> None:
    time_machine.move_to(NOW, tick=False)


def form_for(type_: str, data: dict[str, str], units: dict[str, str] | None = None):
    form = MeasurementForm(data, kind=KINDS[type_], preferences=units, zone=MADRID)
    form.is_valid()
    return form


def readings(patient: Patient, type_: str | None = None) -> list[Measurement]:
    with system_context("test"):
        found = Measurement.objects.filter(patient=patient).order_by("measured_at")
        return list(found.filter(type=type_) if type_ else found)


def set_units(user: User, **units: str) -> None:
    settings = user.settings
    settings.units = {**settings.units, **units}
    settings.save()


class TestValidation:
    @pytest.mark.parametrize(
        ("type_", "data", "field", "words"),
        [
            ("temperature", {"value": "50"}, "value", "not possible for temperature"),
            ("temperature", {"value": "122"}, "value", "77.0"),  # in °F: says 77.0–113.0 °F
            ("oxygen_saturation", {"value": "101"}, "value", "between 30 % and 100 %"),
            (
                "blood_pressure",
                {"value": "80", "value_secondary": "120"},
                "value_secondary",
                "below",
            ),
            ("heart_rate", {"value": "0"}, "value", "not possible"),
            ("weight", {"value": "-3"}, "value", "not possible"),
            ("pain", {"value": "11"}, "value", "not possible"),
            ("pain", {"value": "4.5"}, "value", "whole number"),
            ("blood_glucose", {"value": "NaN"}, "value", "number"),
            ("weight", {"value": "heavy"}, "value", "number"),
        ],
    )
    def test_impossible_values_are_refused_on_the_field(
        self, type_: str, data: dict[str, str], field: str, words: str
    ) -> None:
        units = {"temperature": "F"} if data.get("value") == "122" else None
        form = form_for(type_, {"measured_at": "2026-11-25T09:00", **data}, units)
        assert not form.is_valid()
        assert words in " ".join(form.errors[field]).replace("\xa0", " ")

    @pytest.mark.parametrize(
        ("type_", "data"),
        [
            ("temperature", {"value": "34.2"}),  # hypothermia: unusual, possible
            ("temperature", {"value": "41.5"}),
            ("oxygen_saturation", {"value": "78"}),
            ("blood_pressure", {"value": "210", "value_secondary": "125"}),
            ("blood_glucose", {"value": "600"}),
            ("heart_rate", {"value": "38"}),
            ("weight", {"value": "2.9"}),
            ("pain", {"value": "0"}),
            ("other", {"label": "Peak flow", "value": "320", "unit": "L/min"}),
        ],
    )
    def test_unusual_but_possible_values_are_accepted(
        self, type_: str, data: dict[str, str]
    ) -> None:
        form = form_for(type_, {"measured_at": "2026-11-25T09:00", **data})
        assert form.is_valid(), form.errors

    def test_a_time_in_the_future_is_refused(self) -> None:
        form = form_for("heart_rate", {"value": "70", "measured_at": "2026-11-25T11:00"})
        assert "in the future" in form.errors["measured_at"][0]

    def test_a_time_that_does_not_exist_in_the_patients_zone_is_refused(self) -> None:
        # 29 March 2026, 02:30 does not exist in Madrid (clocks jump 02:00 → 03:00).
        form = form_for("heart_rate", {"value": "70", "measured_at": "2026-03-29T02:30"})
        assert form.errors["measured_at"] == [
            "02:30 did not happen on 2026-03-29 in Europe/Madrid: the clocks went forward. "
            "Enter the time the clock showed."
        ]

    def test_a_time_that_happened_twice_is_its_first_occurrence(self) -> None:
        # 25 October 2026, 02:30 happened twice in Madrid (clocks go back 03:00 → 02:00).
        form = form_for("heart_rate", {"value": "70", "measured_at": "2026-10-25T02:30"})
        assert form.reading["measured_at"] == dt.datetime(2026, 10, 25, 0, 30, tzinfo=dt.UTC)

    @pytest.mark.parametrize("typed", ["0001-01-01T00:00", "9999-12-31T23:59", "1850-01-01T10:00"])
    def test_a_year_out_of_reach_is_refused(self, typed: str) -> None:
        form = form_for("heart_rate", {"value": "70", "measured_at": typed})
        assert form.errors["measured_at"] == ["Please check the year."]

    def test_times_are_read_on_the_patients_wall_clock(self) -> None:
        form = form_for("heart_rate", {"value": "70", "measured_at": "2026-11-25T08:15"})
        assert form.reading["measured_at"] == dt.datetime(2026, 11, 25, 7, 15, tzinfo=dt.UTC)

    def test_entries_in_the_users_units_are_stored_canonical(self) -> None:
        form = form_for(
            "blood_glucose",
            {"value": "5.5", "measured_at": "2026-11-25T08:00", "context": "fasting"},
            {"glucose": "mmol/L"},
        )
        assert form.reading["value"] == Decimal("99.0880")
        assert form.reading["unit"] == "mg/dL"
        assert form.reading["context"] == "fasting"

    def test_a_context_that_does_not_fit_the_type_is_refused(self) -> None:
        form = form_for(
            "temperature", {"value": "37", "measured_at": "2026-11-25T08:00", "context": "fasting"}
        )
        assert form.is_valid()  # temperature has no context field: the value is ignored
        assert form.reading["context"] == ""
        form = form_for(
            "blood_glucose", {"value": "99", "measured_at": "2026-11-25T08:00", "context": "nap"}
        )
        assert "context" in form.errors

    def test_a_target_in_pounds_is_stored_in_kilograms(self) -> None:
        form = ThresholdForm(
            {"min_value": "110", "max_value": "154.3", "is_active": "on"},
            kind=KINDS["weight"],
            preferences={"weight": "lb"},
        )
        assert form.is_valid(), form.errors
        assert form.cleaned_data["max_value"] == Decimal("69.9893")

    def test_a_target_needs_an_end_and_the_ends_in_order(self) -> None:
        form = ThresholdForm({"is_active": "on"}, kind=KINDS["heart_rate"], preferences=None)
        assert "lowest or a highest" in form.non_field_errors()[0]
        form = ThresholdForm(
            {"min_value": "100", "max_value": "60", "is_active": "on"},
            kind=KINDS["heart_rate"],
            preferences=None,
        )
        assert "must not be below" in form.errors["max_value"][0]


class TestFlags:
    def test_a_reading_is_flagged_against_the_target_in_force_when_saved(
        self, patient: Patient, primary: User
    ) -> None:
        set_target(primary, patient, "heart_rate", Decimal(50), Decimal(100))
        high = add_reading(primary, patient, "heart_rate", Decimal(120))
        normal = add_reading(primary, patient, "heart_rate", Decimal(72))
        assert (high.out_of_range, normal.out_of_range) == (True, False)

    def test_changing_the_target_re_evaluates_the_readings(
        self, patient: Patient, primary: User
    ) -> None:
        # The fixture recorded 150/95 against a 90–140 systolic target.
        assert [r.out_of_range for r in readings(patient, "blood_pressure")] == [True]
        add_reading(primary, patient, "blood_pressure", Decimal(135), Decimal(92))
        set_target(
            primary,
            patient,
            "blood_pressure",
            Decimal(90),
            Decimal(160),
            max_secondary=Decimal(90),
        )
        assert [r.out_of_range for r in readings(patient, "blood_pressure")] == [True, True]
        set_target(primary, patient, "blood_pressure", Decimal(90), Decimal(160))
        assert [r.out_of_range for r in readings(patient, "blood_pressure")] == [False, False]
        set_target(primary, patient, "blood_pressure", None, Decimal(140), is_active=False)
        assert [r.out_of_range for r in readings(patient, "blood_pressure")] == [False, False]

    def test_editing_a_reading_re_evaluates_it(self, patient: Patient, primary: User) -> None:
        (reading,) = readings(patient, "blood_pressure")
        with acting_as(primary.pk):
            saved = services.measurement_update(
                patient=as_member(primary, patient, Area.MEASUREMENTS),
                actor=primary,
                measurement=reading,
                version=reading.updated_at,
                value=Decimal(128),
            )
        assert saved.out_of_range is False

    def test_a_threshold_change_is_one_history_event_not_one_per_reading(
        self, patient: Patient, primary: User
    ) -> None:
        from measurements.models import MeasurementEvent

        for n in range(5):
            add_reading(primary, patient, "blood_pressure", Decimal(150 + n), Decimal(90))
        with system_context("test"):
            before = MeasurementEvent.objects.count()
        set_target(primary, patient, "blood_pressure", Decimal(90), Decimal(200))
        with system_context("test"):
            assert MeasurementEvent.objects.count() == before
            assert not Measurement.objects.filter(patient=patient, out_of_range=True).exists()


class TestRecordingPages:
    def url(self, patient: Patient, type_: str = "") -> str:
        base = reverse("measurements:create", args=[patient.pk])
        return f"{base}?type={type_}" if type_ else base

    def test_a_caregiver_records_a_weight_in_pounds_and_sees_it_in_pounds(
        self, client: Client, patient: Patient, secondary: User
    ) -> None:
        set_units(secondary, weight="lb")
        client.force_login(secondary)
        page = client.get(self.url(patient, "weight"))
        assert "Value (lb)" in page.content.decode()
        token = page.context["form"]["form_token"].value()
        data = {
            "type": "weight",
            "value": "150",
            "measured_at": "2026-11-25T08:30",
            "form_token": token,
        }
        response = client.post(self.url(patient), data, follow=True)
        assert "Saved weight: 150.0\xa0lb." in response.content.decode()
        (reading,) = readings(patient, "weight")
        assert (reading.value, reading.unit, reading.recorded_by_id) == (
            Decimal("68.0389"),
            "kg",
            secondary.pk,
        )
        client.post(self.url(patient), data)  # a double submit
        assert len(readings(patient, "weight")) == 1

    def test_bad_input_keeps_what_was_typed(
        self, client: Client, patient: Patient, primary: User
    ) -> None:
        client.force_login(primary)
        data = {
            "type": "temperature",
            "value": "50",
            "measured_at": "2026-11-25T08:30",
            "notes": "after the walk",
        }
        response = client.post(self.url(patient), data)
        content = response.content.decode()
        assert response.status_code == 200
        assert 'value="50"' in content
        assert "after the walk" in content
        assert "not possible for temperature" in content
        assert readings(patient, "temperature") == []

    def test_without_a_type_the_user_chooses_one(
        self, client: Client, patient: Patient, primary: User
    ) -> None:
        client.force_login(primary)
        content = client.get(self.url(patient, "bogus")).content.decode()
        assert "What did you measure?" in content
        assert "?type=blood_glucose" in content

    def test_a_viewer_may_not_record(self, client: Client, patient: Patient, viewer: User) -> None:
        client.force_login(viewer)
        assert client.get(self.url(patient, "weight")).status_code == 403
        overview = client.get(reverse("measurements:overview", args=[patient.pk]))
        assert overview.status_code == 200
        assert "Record a reading" not in overview.content.decode()

    def test_a_flagged_reading_says_so_everywhere(
        self, client: Client, patient: Patient, primary: User
    ) -> None:
        client.force_login(primary)
        for name, kwargs in (
            ("measurements:overview", {}),
            ("measurements:trend", {"type": "blood_pressure"}),
            ("patients:detail", {}),
            ("journal:timeline", {}),
        ):
            content = client.get(reverse(name, kwargs={"patient_id": patient.pk, **kwargs}))
            assert "Outside target" in content.content.decode(), name

    def test_editing_keeps_the_stored_value_when_only_the_notes_change(
        self, client: Client, patient: Patient, primary: User
    ) -> None:
        set_units(primary, weight="lb")
        reading = add_reading(primary, patient, "weight", Decimal("70.0000"))
        client.force_login(primary)
        url = reverse("measurements:edit", args=[patient.pk, reading.pk])
        form = client.get(url).context["form"]
        assert form["value"].value() == Decimal("154.3")
        data = {
            "value": "154.3",
            "measured_at": form["measured_at"].value().strftime("%Y-%m-%dT%H:%M"),
            "notes": "on the new scale",
            "version": str(form["version"].value()),
        }
        assert client.post(url, data).status_code == 302
        (saved,) = readings(patient, "weight")
        assert (saved.value, saved.notes) == (Decimal("70.0000"), "on the new scale")

    def test_a_concurrent_edit_is_not_lost(
        self, client: Client, patient: Patient, primary: User, secondary: User, time_machine
    ) -> None:
        (reading,) = readings(patient, "blood_pressure")
        client.force_login(primary)
        url = reverse("measurements:edit", args=[patient.pk, reading.pk])
        stale = client.get(url).context["form"]["version"].value()
        time_machine.move_to(NOW + dt.timedelta(minutes=1), tick=False)
        with acting_as(secondary.pk):
            services.measurement_update(
                patient=as_member(secondary, patient, Area.MEASUREMENTS),
                actor=secondary,
                measurement=reading,
                version=None,
                value=Decimal(160),
            )
        data = {
            "value": "145",
            "value_secondary": "95",
            "measured_at": "2026-11-25T07:00",
            "version": str(stale),
        }
        response = client.post(url, data)
        assert "Someone else changed this reading" in response.content.decode()
        assert "160/95" in response.content.decode()
        assert 'value="145"' in response.content.decode()
        assert readings(patient, "blood_pressure")[0].value == Decimal(160)
        data["version"] = str(response.context["form"]["version"].value())
        assert client.post(url, data).status_code == 302
        assert readings(patient, "blood_pressure")[0].value == Decimal(145)

    def test_deleting_asks_first(self, client: Client, patient: Patient, secondary: User) -> None:
        (reading,) = readings(patient, "blood_pressure")
        client.force_login(secondary)
        url = reverse("measurements:delete", args=[patient.pk, reading.pk])
        assert "Delete this reading?" in client.get(url).content.decode()
        assert readings(patient, "blood_pressure")
        client.post(url)
        assert readings(patient, "blood_pressure") == []

    def test_a_reading_of_another_patient_is_not_found(
        self, client: Client, patient: Patient, other_patient: Patient, stranger: User
    ) -> None:
        theirs = add_reading(stranger, other_patient, "weight", Decimal(80))
        client.force_login(stranger)
        url = reverse("measurements:edit", args=[other_patient.pk, theirs.pk])
        assert client.get(url).status_code == 200
        (mine,) = readings(patient, "blood_pressure")
        url = reverse("measurements:edit", args=[other_patient.pk, mine.pk])
        assert client.get(url).status_code == 404

    def test_setting_a_target_flags_the_readings_outside_it(
        self, client: Client, patient: Patient, secondary: User
    ) -> None:
        add_reading(secondary, patient, "heart_rate", Decimal(130))
        client.force_login(secondary)
        url = reverse("measurements:target", args=[patient.pk, "heart_rate"])
        response = client.post(
            url, {"min_value": "50", "max_value": "110", "is_active": "on"}, follow=True
        )
        assert "1 reading is outside it" in response.content.decode()
        assert readings(patient, "heart_rate")[0].out_of_range


class TestTrendPage:
    def url(self, patient: Patient, type_: str = "blood_pressure", days: int = 30) -> str:
        return reverse("measurements:trend", args=[patient.pk, type_]) + f"?days={days}"

    def test_blood_pressure_draws_both_lines_with_one_point_per_reading(
        self, client: Client, patient: Patient, primary: User
    ) -> None:
        for day in range(1, 10):
            add_reading(
                primary,
                patient,
                "blood_pressure",
                Decimal(120 + day),
                Decimal(80),
                at=NOW - dt.timedelta(days=day),
            )
        add_reading(
            primary,
            patient,
            "blood_pressure",
            Decimal(120),
            Decimal(80),
            at=NOW - dt.timedelta(days=40),
        )
        client.force_login(primary)
        content = client.get(self.url(patient, days=30)).content.decode()
        markup = content[content.index("<svg") : content.index("</svg>") + 6]
        svg = ET.fromstring(markup)  # noqa: S314 (our own output)
        ns = "{http://www.w3.org/2000/svg}"
        lines = svg.findall(f".//{ns}polyline")
        assert [len(line.get("points", "").split()) for line in lines] == [10, 10]
        assert svg.find(f"{ns}title") is not None
        assert svg.find(f"{ns}desc") is not None
        assert len(svg.findall(f".//{ns}rect[@class='chart-band']")) == 1
        flagged = [c for c in svg.iter(f"{ns}circle") if "chart-flagged" in c.get("class", "")]
        # The fixture's 150/95 against a systolic-only target: red on the systolic line only.
        assert [c.get("class") for c in flagged] == ["chart-point chart-flagged series-0"]
        assert "Lowest" in content
        assert "121/80" in content

    def test_a_dot_is_red_on_the_line_whose_number_is_outside(
        self, client: Client, patient: Patient, primary: User
    ) -> None:
        set_target(
            primary,
            patient,
            "blood_pressure",
            Decimal(90),
            Decimal(160),
            max_secondary=Decimal(90),
        )  # 150/95: the diastolic is outside, the systolic is not
        client.force_login(primary)
        content = client.get(self.url(patient)).content.decode()
        assert content.count("chart-flagged series-1") == 1
        assert "chart-flagged series-0" not in content

    def test_a_reading_shown_equal_to_the_target_in_another_unit_is_not_flagged(
        self, patient: Patient, primary: User
    ) -> None:
        set_target(primary, patient, "blood_glucose", Decimal(70), Decimal(180))
        earlier = NOW - dt.timedelta(hours=3)
        at_limit = add_reading(primary, patient, "blood_glucose", Decimal("180.16"), at=earlier)
        above = add_reading(primary, patient, "blood_glucose", Decimal("181.96"))
        # 10.0 and 10.1 mmol/L, the first shown equal to "at most 10.0 mmol/L"
        assert (at_limit.out_of_range, above.out_of_range) == (False, True)
        set_target(primary, patient, "blood_glucose", Decimal(70), Decimal(180))  # SQL agrees
        assert [r.out_of_range for r in readings(patient, "blood_glucose")] == [False, True]

    def test_the_window_can_be_chosen_and_bad_values_fall_back(
        self, client: Client, patient: Patient, primary: User
    ) -> None:
        client.force_login(primary)
        assert client.get(self.url(patient, days=365)).context["days"] == 365
        assert client.get(self.url(patient, days=12)).context["days"] == 30
        assert client.get(self.url(patient, "nonsense")).status_code == 404

    def test_other_readings_are_charted_per_label(
        self, client: Client, patient: Patient, primary: User
    ) -> None:
        for value in (300, 320):
            add_reading(primary, patient, "other", Decimal(value), label="Peak flow", unit="L/min")
        client.force_login(primary)
        url = reverse("measurements:trend", args=[patient.pk, "other"]) + "?label=Peak+flow"
        content = client.get(url).content.decode()
        assert "320\xa0L/min" in content
        assert "<polyline" in content


@pytest.mark.parametrize("extra", [0, 500])
class TestQueryCounts:
    """The same number of queries with 1 reading or 501."""

    @pytest.fixture
    def many(self, patient: Patient, primary: User, extra: int) -> Patient:
        with acting_as(primary.pk):
            Measurement.objects.bulk_create(
                Measurement(
                    patient=patient,
                    type="blood_pressure",
                    value=Decimal(120 + n % 40),
                    value_secondary=Decimal(80),
                    unit="mm[Hg]",
                    measured_at=NOW - dt.timedelta(hours=6 * n + 1),
                    out_of_range=n % 40 > 20,
                    recorded_by=primary,
                )
                for n in range(extra)
            )
        return patient

    # session, user, unread badge, savepoint, app.user_id, patient+membership, access log, user settings,
    # then the page's own, then restore and release
    def test_overview(
        self, client: Client, many: Patient, primary: User, django_assert_num_queries
    ) -> None:
        client.force_login(primary)
        with django_assert_num_queries(11):  # + latest, recent page
            client.get(reverse("measurements:overview", args=[many.pk]))

    def test_trend(
        self, client: Client, many: Patient, primary: User, django_assert_num_queries
    ) -> None:
        client.force_login(primary)
        with django_assert_num_queries(12):  # + target, series, readings page
            client.get(
                reverse("measurements:trend", args=[many.pk, "blood_pressure"]) + "?days=365"
            )


@pytest.mark.db_behaviour
@pytest.mark.django_db(transaction=True)
def test_a_reading_saved_while_its_target_changes_is_flagged_against_one_of_them() -> None:
    user = make_user(f"t-{uuid.uuid4().hex[:6]}@example.com", "Tess")
    helper = make_user(f"h-{uuid.uuid4().hex[:6]}@example.com", "Hal")
    patient = make_patient(user, f"Race {uuid.uuid4().hex[:6]}")
    add_member(patient, helper, "secondary")
    set_target(user, patient, "heart_rate", Decimal(50), Decimal(150))
    barrier = threading.Barrier(2)
    errors: list[Exception] = []

    def tighten() -> None:
        try:
            barrier.wait(timeout=10)
            set_target(user, patient, "heart_rate", Decimal(50), Decimal(100))
        except Exception as error:
            errors.append(error)
        finally:
            connections.close_all()

    def record() -> None:
        try:
            barrier.wait(timeout=10)
            add_reading(helper, patient, "heart_rate", Decimal(120))
        except Exception as error:
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=tighten), threading.Thread(target=record)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    # Whichever went first, the reading ends up judged by the target now in force.
    assert [r.out_of_range for r in readings(patient, "heart_rate")] == [True]


class TestReviewedEdges:
    def test_a_label_with_a_character_that_cannot_be_stored_is_not_found(
        self, client: Client, patient: Patient, primary: User
    ) -> None:
        client.force_login(primary)
        url = reverse("measurements:trend", args=[patient.pk, "other"])
        assert client.get(url, {"label": "a\x00b"}).status_code == 404

    def test_other_readings_return_to_their_own_chart_and_are_named_when_mixed(
        self, client: Client, patient: Patient, primary: User
    ) -> None:
        client.force_login(primary)
        data = {
            "type": "other",
            "label": "Peak flow",
            "value": "320",
            "unit": "L/min",
            "measured_at": "2026-11-25T08:30",
        }
        response = client.post(reverse("measurements:create", args=[patient.pk]), data)
        assert response["Location"].endswith("/measurements/other/?label=Peak+flow")
        add_reading(primary, patient, "other", Decimal("0.6"), label="Ketones", unit="mmol/L")
        mixed = client.get(reverse("measurements:trend", args=[patient.pk, "other"]))
        content = mixed.content.decode()
        assert "<td>Peak flow</td>" in content
        assert "<td>Ketones</td>" in content
        assert "?label=Ketones" in content  # a chart for each

    def test_resaving_a_target_in_other_units_does_not_move_it(
        self, client: Client, patient: Patient, primary: User, secondary: User
    ) -> None:
        set_target(primary, patient, "weight", Decimal(50), Decimal(80))
        set_units(secondary, weight="lb")
        client.force_login(secondary)
        url = reverse("measurements:target", args=[patient.pk, "weight"])
        form = client.get(url).context["form"]
        assert (form["min_value"].value(), form["max_value"].value()) == (
            Decimal("110.2"),
            Decimal("176.4"),
        )
        client.post(url, {"min_value": "110.2", "max_value": "176.4", "is_active": "on"})
        with system_context("test"):
            from measurements.models import MeasurementThreshold

            saved = MeasurementThreshold.objects.get(patient=patient, type="weight")
        assert (saved.min_value, saved.max_value) == (Decimal(50), Decimal(80))

    def test_an_invalid_target_value_gets_one_clear_message(self) -> None:
        form = ThresholdForm(
            {"min_value": "1e999", "is_active": "on"}, kind=KINDS["heart_rate"], preferences=None
        )
        assert not form.is_valid()
        assert form.non_field_errors() == []
        assert "min_value" in form.errors

    def test_the_same_edit_submitted_twice_is_saved_not_a_conflict(
        self, client: Client, patient: Patient, primary: User, time_machine
    ) -> None:
        (reading,) = readings(patient, "blood_pressure")
        client.force_login(primary)
        url = reverse("measurements:edit", args=[patient.pk, reading.pk])
        form = client.get(url).context["form"]
        data = {
            "value": "145",
            "value_secondary": "92",
            "measured_at": form["measured_at"].value().strftime("%Y-%m-%dT%H:%M"),
            "version": str(form["version"].value()),
        }
        client.post(url, data)
        time_machine.move_to(NOW + dt.timedelta(seconds=5), tick=False)
        response = client.post(url, data, follow=True)
        assert "Saved blood pressure: 145/92" in response.content.decode()

    def test_deleting_twice_says_it_is_done(
        self, client: Client, patient: Patient, primary: User
    ) -> None:
        (reading,) = readings(patient, "blood_pressure")
        client.force_login(primary)
        url = reverse("measurements:delete", args=[patient.pk, reading.pk])
        client.post(url)
        assert "already deleted" in client.post(url, follow=True).content.decode()


def test_switching_a_target_off_from_its_form_unflags_the_readings(
    client: Client, patient: Patient, primary: User
) -> None:
    assert [r.out_of_range for r in readings(patient, "blood_pressure")] == [True]
    client.force_login(primary)
    url = reverse("measurements:target", args=[patient.pk, "blood_pressure"])
    form = client.get(url).context["form"]
    data = {name: str(form[name].value() or "") for name in ("min_value", "max_value")}
    response = client.post(url, data, follow=True)  # "Flag readings…" left unticked
    assert "readings are no longer flagged" in response.content.decode()
    assert [r.out_of_range for r in readings(patient, "blood_pressure")] == [False]
