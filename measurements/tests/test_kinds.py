"""Units: canonical storage, conversion for entry and display, round trips."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from measurements.kinds import FAHRENHEIT, IN, KINDS, LB, MMOL_L, STORED, Unit

CONVERTED = {"lb": LB, "°F": FAHRENHEIT, "mmol/L": MMOL_L, "in": IN}


@pytest.mark.parametrize(
    ("unit", "shown", "stored"),
    [
        (FAHRENHEIT, "98.6", "37.0000"),
        (FAHRENHEIT, "32.0", "0.0000"),
        (FAHRENHEIT, "104.0", "40.0000"),
        (LB, "150.0", "68.0389"),
        (LB, "1.0", "0.4536"),
        (MMOL_L, "5.5", "99.0880"),
        (MMOL_L, "10.0", "180.1600"),
        (IN, "70.0", "177.8000"),
    ],
)
def test_entries_are_stored_in_the_canonical_unit(unit: Unit, shown: str, stored: str) -> None:
    assert unit.store(Decimal(shown)) == Decimal(stored)


@pytest.mark.parametrize(
    ("unit", "canonical", "shown"),
    [
        (FAHRENHEIT, "37.0", "98.6"),
        (FAHRENHEIT, "38.25", "100.9"),
        (LB, "70", "154.3"),
        (MMOL_L, "126", "7.0"),
        (IN, "165", "65.0"),
    ],
)
def test_display_rounds_to_the_units_precision(unit: Unit, canonical: str, shown: str) -> None:
    assert unit.show(Decimal(canonical)) == Decimal(shown)


def _limits_in(unit: Unit, low: Decimal, high: Decimal) -> tuple[int, int]:
    scale = 10**unit.places
    return int(unit.show(low) * scale), int(unit.show(high) * scale)


@pytest.mark.parametrize("type_", [t for t in KINDS if t != "other"])
@given(data=st.data())
def test_every_value_a_user_can_enter_round_trips_exactly(type_: str, data: st.DataObject) -> None:
    """Whatever the unit, what the user typed is what they see afterwards."""
    kind = KINDS[type_]
    for unit in kind.units.values():
        low, high = _limits_in(unit, kind.limits.low, kind.limits.high)
        steps = data.draw(st.integers(min_value=low, max_value=high))
        shown = Decimal(steps).scaleb(-unit.places)
        stored = unit.store(shown)
        assert stored == stored.quantize(STORED)
        assert unit.show(stored) == shown


@given(st.decimals(min_value=Decimal("0.3"), max_value=Decimal(650), places=4))
def test_a_stored_weight_survives_a_trip_through_pounds_within_display_precision(
    kg: Decimal,
) -> None:
    pounds = LB.show(kg)
    assert abs(LB.store(pounds) - kg) <= Decimal("0.05") * Decimal("0.45359237") + STORED


def test_formatting_joins_numbers_and_units_as_people_write_them() -> None:
    assert KINDS["temperature"].units["F"].format(Decimal(37)) == "98.6\xa0°F"
    assert KINDS["pain"].unit_for(None).format(Decimal(7)) == "7/10"
    assert KINDS["other"].unit_for(None).format(Decimal("320.0000"), "L/min") == "320\xa0L/min"
    assert KINDS["other"].unit_for(None).format(Decimal("1.2500"), "mmol/L") == "1.25\xa0mmol/L"


def test_the_preferred_unit_is_used_and_unknown_preferences_fall_back() -> None:
    glucose = KINDS["blood_glucose"]
    assert glucose.unit_for({"glucose": "mmol/L"}) is MMOL_L
    assert glucose.unit_for({"glucose": "bogus"}).symbol == "mg/dL"
    assert glucose.unit_for(None).symbol == "mg/dL"
    assert KINDS["heart_rate"].unit_for({"weight": "lb"}).places == 0


def test_every_type_has_one_canonical_ucum_unit() -> None:
    assert {t: k.canonical for t, k in KINDS.items() if t != "other"} == {
        "blood_pressure": "mm[Hg]",
        "heart_rate": "/min",
        "blood_glucose": "mg/dL",
        "temperature": "Cel",
        "weight": "kg",
        "height": "cm",
        "oxygen_saturation": "%",
        "respiratory_rate": "/min",
        "pain": "{score}",
    }
    assert set(CONVERTED.values()) <= {u for k in KINDS.values() for u in k.units.values()}
