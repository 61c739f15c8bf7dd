"""What each type of reading is: its canonical unit, the units people enter it
in, how to convert, and which values are physiologically possible.

Values are stored in one canonical UCUM unit per type (DESIGN.md "Units") with
four decimals, and converted for entry and display from the user's preference
(``user_settings.units``: weight kg|lb, temperature C|F, glucose
mg/dL|mmol/L, length cm|in). Four stored decimals keep every entered value's
round trip exact at the precision it is shown with (tested with hypothesis).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db import models
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

STORED = Decimal("0.0001")


class Type(models.TextChoices):
    BLOOD_PRESSURE = "blood_pressure", _("Blood pressure")
    HEART_RATE = "heart_rate", _("Heart rate")
    BLOOD_GLUCOSE = "blood_glucose", _("Blood glucose")
    TEMPERATURE = "temperature", _("Temperature")
    WEIGHT = "weight", _("Weight")
    HEIGHT = "height", _("Height")
    OXYGEN_SATURATION = "oxygen_saturation", _("Oxygen saturation")
    RESPIRATORY_RATE = "respiratory_rate", _("Breathing rate")
    PAIN = "pain", _("Pain")
    OTHER = "other", _("Other")


class Context(models.TextChoices):
    FASTING = "fasting", _("Fasting")
    BEFORE_MEAL = "before_meal", _("Before a meal")
    AFTER_MEAL = "after_meal", _("After a meal")
    BEDTIME = "bedtime", _("At bedtime")
    RESTING = "resting", _("At rest")
    AFTER_ACTIVITY = "after_activity", _("After activity")


class Source(models.TextChoices):
    MANUAL = "manual", _("Entered by hand")
    DEVICE = "device", _("From a device")
    IMPORT = "import", _("Imported")


def _identity(value: Decimal) -> Decimal:
    return value


@dataclass(frozen=True)
class Unit:
    """A unit people enter and read values in, and how it maps to the canonical one."""

    symbol: str | Promise
    places: int
    to_canonical: Callable[[Decimal], Decimal] = _identity
    from_canonical: Callable[[Decimal], Decimal] = _identity

    def store(self, shown: Decimal) -> Decimal:
        """The canonical value to store for ``shown`` (entered in this unit)."""
        return self.to_canonical(shown).quantize(STORED, rounding=ROUND_HALF_UP)

    def show(self, canonical: Decimal) -> Decimal:
        """``canonical`` in this unit, rounded to the decimals this unit is shown with."""
        exponent = Decimal(1).scaleb(-self.places)
        return self.from_canonical(canonical).quantize(exponent, rounding=ROUND_HALF_UP)

    def format(self, canonical: Decimal, symbol: str | Promise | None = None) -> str:
        """``canonical`` shown in this unit with its symbol: "37.5 °C", "7/10"."""
        symbol = str(self.symbol if symbol is None else symbol)
        number = self.show(canonical)
        if self.places > 1:  # free-form values: no trailing zeros
            number = number.normalize() if number != number.to_integral() else number.quantize(1)
        separator = "" if symbol.startswith("/") or not symbol else "\N{NO-BREAK SPACE}"
        return f"{number}{separator}{symbol}"


POUND = Decimal("0.45359237")  # kg, exactly
INCH = Decimal("2.54")  # cm, exactly
GLUCOSE_MG_PER_MMOL = Decimal("18.016")  # mg/dL per mmol/L (molar mass 180.16 g/mol)

KG = Unit("kg", 1)
LB = Unit("lb", 1, lambda v: v * POUND, lambda v: v / POUND)
CELSIUS = Unit("°C", 1)
FAHRENHEIT = Unit("°F", 1, lambda v: (v - 32) * 5 / 9, lambda v: v * 9 / 5 + 32)
MG_DL = Unit("mg/dL", 0)
MMOL_L = Unit("mmol/L", 1, lambda v: v * GLUCOSE_MG_PER_MMOL, lambda v: v / GLUCOSE_MG_PER_MMOL)
CM = Unit("cm", 1)
IN = Unit("in", 1, lambda v: v * INCH, lambda v: v / INCH)


@dataclass(frozen=True)
class Limits:
    """Values outside are impossible for a living person (canonical unit); inside,
    unusual values are accepted."""

    low: Decimal
    high: Decimal


@dataclass(frozen=True)
class Kind:
    type: Type
    canonical: str  # UCUM code, stored in measurements.unit
    units: Mapping[str, Unit]  # by the user's preference choice; "" when there is one unit
    limits: Limits
    preference: str = ""  # the key in user_settings.units
    secondary_limits: Limits | None = None
    contexts: tuple[Context, ...] = ()
    value_label: str | Promise = field(default=_("Value"))
    secondary_label: str | Promise = ""
    #: Short names for the two values in sentences ("90–140 mmHg (systolic)").
    value_name: str | Promise = ""
    secondary_name: str | Promise = ""

    @property
    def label(self) -> str:
        return str(self.type.label)

    @property
    def canonical_places(self) -> int:
        """Decimals the canonical unit is shown with (its first unit is canonical)."""
        return next(iter(self.units.values())).places

    @property
    def has_secondary(self) -> bool:
        return self.secondary_limits is not None

    @property
    def has_target(self) -> bool:
        return self.type != Type.OTHER

    def unit_for(self, preferences: Mapping[str, str] | None) -> Unit:
        if not self.preference:
            return self.units[""]
        choice = (preferences or {}).get(self.preference, "")
        return self.units.get(choice) or next(iter(self.units.values()))


def _single(symbol: str | Promise, places: int = 0) -> dict[str, Unit]:
    return {"": Unit(symbol, places)}


def _range(low: str, high: str) -> Limits:
    return Limits(Decimal(low), Decimal(high))


KINDS: dict[str, Kind] = {
    kind.type.value: kind
    for kind in (
        Kind(
            Type.BLOOD_PRESSURE,
            "mm[Hg]",
            _single("mmHg"),
            _range("40", "300"),
            secondary_limits=_range("20", "200"),
            contexts=(Context.RESTING, Context.AFTER_ACTIVITY),
            value_label=_("Systolic (upper number)"),
            secondary_label=_("Diastolic (lower number)"),
            value_name=_("systolic"),
            secondary_name=_("diastolic"),
        ),
        Kind(
            Type.HEART_RATE,
            "/min",
            _single(_("beats/min")),
            _range("20", "300"),
            contexts=(Context.RESTING, Context.AFTER_ACTIVITY),
        ),
        Kind(
            Type.BLOOD_GLUCOSE,
            "mg/dL",
            {"mg/dL": MG_DL, "mmol/L": MMOL_L},
            _range("10", "2000"),
            preference="glucose",
            contexts=(Context.FASTING, Context.BEFORE_MEAL, Context.AFTER_MEAL, Context.BEDTIME),
        ),
        Kind(
            Type.TEMPERATURE,
            "Cel",
            {"C": CELSIUS, "F": FAHRENHEIT},
            _range("25", "45"),
            preference="temperature",
        ),
        Kind(Type.WEIGHT, "kg", {"kg": KG, "lb": LB}, _range("0.3", "650"), preference="weight"),
        Kind(Type.HEIGHT, "cm", {"cm": CM, "in": IN}, _range("20", "280"), preference="length"),
        Kind(Type.OXYGEN_SATURATION, "%", _single("%"), _range("30", "100")),
        Kind(
            Type.RESPIRATORY_RATE,
            "/min",
            _single(_("breaths/min")),
            _range("2", "100"),
            contexts=(Context.RESTING, Context.AFTER_ACTIVITY),
        ),
        Kind(Type.PAIN, "{score}", _single("/10"), _range("0", "10")),
        Kind(Type.OTHER, "", _single("", 2), _range("-99999999", "99999999")),
    )
}
CANONICAL_UNITS = {name: kind.canonical for name, kind in KINDS.items() if kind.canonical}


#: A clock running a little fast on a phone is not a reading from the future.
CLOCK_SLACK = dt.timedelta(minutes=10)


def reading_problems(
    kind: Kind, value: Decimal | None, secondary: Decimal | None
) -> dict[str, str]:
    """The rules between a reading's values (canonical units), by field: the web
    form shows them on its fields, ``Measurement.clean`` holds every writer to them."""
    problems: dict[str, str] = {}
    if kind.type == Type.PAIN and value is not None and value != value.to_integral():
        problems["value"] = str(_("Pain is a whole number from 0 to 10."))
    if value is not None and secondary is not None and value <= secondary:
        problems["value_secondary"] = str(
            _("The lower (diastolic) number must be below the upper (systolic) one.")
        )
    return problems
