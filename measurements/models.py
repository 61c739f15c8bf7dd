"""Readings of vital signs and the patient's target ranges (DESIGN.md §B.5)."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any

import pghistory
import pgtrigger
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.db.models.functions import Round
from django.db.models.lookups import GreaterThan, LessThan
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

from measurements.kinds import (
    CANONICAL_UNITS,
    CLOCK_SLACK,
    KINDS,
    Context,
    Source,
    Type,
    reading_problems,
)
from medtrack import fields


def _value(verbose_name: StrOrPromise, **kwargs: object) -> models.DecimalField:
    return models.DecimalField(verbose_name, max_digits=12, decimal_places=4, **kwargs)  # type: ignore[arg-type]


def _canonical_unit() -> Q:
    """Each type's readings are stored in its one canonical unit ("other": any)."""
    allowed = Q(type=Type.OTHER) & ~Q(unit="")
    for type_, unit in CANONICAL_UNITS.items():
        allowed |= Q(type=type_, unit=unit)
    return allowed


# A threshold change re-evaluates the flags of many readings in one UPDATE;
# that is the threshold's history, not one event per reading.
@pghistory.track(
    pghistory.InsertEvent(),
    pghistory.UpdateEvent(condition=pgtrigger.AnyChange(exclude=["out_of_range"])),
    pghistory.DeleteEvent(),
    meta=fields.history_indexes("measurement"),
)
class Measurement(models.Model):
    id = fields.uuid_pk()
    patient = fields.patient_fk()
    type = fields.TextField(_("type"), choices=Type.choices)
    #: What an "other" reading is ("Peak flow"); empty for the named types.
    label = fields.TextField(_("what"), blank=True, default="", db_default="")
    value = _value(_("value"))
    value_secondary = _value(_("diastolic"), null=True, blank=True)
    unit = fields.TextField(_("unit"))
    measured_at = models.DateTimeField(_("measured at"))
    context = fields.TextField(
        _("context"), choices=Context.choices, blank=True, default="", db_default=""
    )
    notes = fields.TextField(_("notes"), blank=True, default="", db_default="")
    source = fields.TextField(
        _("source"), choices=Source.choices, default=Source.MANUAL, db_default="manual"
    )
    recorded_by = fields.author_fk(_("recorded by"))
    out_of_range = fields.BooleanField(_("outside the target"), default=False, db_default=False)
    created_at = fields.created_at(verbose_name=_("created"))
    updated_at = fields.updated_at(verbose_name=_("updated"))

    class Meta:
        db_table = "measurements"
        verbose_name = _("reading")
        verbose_name_plural = _("readings")
        ordering = ["-measured_at"]
        indexes = [
            # The plan's index: a type's trend and its latest value.
            models.Index(
                "patient", "type", models.F("measured_at").desc(), name="measurements_patient_type"
            ),
            # The timeline and "recent readings" across types.
            models.Index(
                "patient", models.F("measured_at").desc(), name="measurements_patient_at"
            ),
            # The flagged-readings notifications: the last hours' readings outside the
            # target, without visiting every patient's readings (bench/bench_jobs.py).
            models.Index(
                fields=["measured_at"], condition=Q(out_of_range=True), name="measurements_flagged"
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(type__in=Type.values), name="measurements_type_check"
            ),
            models.CheckConstraint(
                condition=Q(source__in=Source.values), name="measurements_source_check"
            ),
            models.CheckConstraint(
                condition=Q(context="") | Q(context__in=Context.values),
                name="measurements_context_check",
            ),
            models.CheckConstraint(
                condition=Q(type=Type.BLOOD_PRESSURE, value_secondary__isnull=False)
                | (~Q(type=Type.BLOOD_PRESSURE) & Q(value_secondary__isnull=True)),
                name="measurements_secondary_check",
            ),
            models.CheckConstraint(
                condition=(Q(type=Type.OTHER) & ~Q(label=""))
                | (~Q(type=Type.OTHER) & Q(label="")),
                name="measurements_label_check",
            ),
            models.CheckConstraint(condition=_canonical_unit(), name="measurements_unit_check"),
        ]

    def __str__(self) -> str:
        return f"{self.type} {self.value} {self.unit} @ {self.measured_at}"

    def clean(self) -> None:
        """What every writer (the web form, the sync API) is held to, in canonical units:
        a possible value, the second number exactly for blood pressure, the type's
        unit, no time in the future."""
        kind = KINDS.get(self.type)
        if kind is None or self.value is None:
            return  # the field checks say so
        problems: dict[str, Any] = dict(reading_problems(kind, self.value, self.value_secondary))
        for name, limits in (("value", kind.limits), ("value_secondary", kind.secondary_limits)):
            value = getattr(self, name)
            if limits is not None and value is not None and not limits.low <= value <= limits.high:
                problems.setdefault(
                    name,
                    _(
                        "%(value)s is not possible for %(what)s: please check the reading "
                        "(between %(low)s and %(high)s %(unit)s)."
                    )
                    % {
                        "value": f"{value.normalize():f}",
                        "what": kind.label.lower(),
                        "low": f"{limits.low:f}",
                        "high": f"{limits.high:f}",
                        "unit": kind.canonical,
                    },
                )
        if kind.has_secondary and self.value_secondary is None:
            problems["value_secondary"] = _("Give both numbers of the blood pressure.")
        elif not kind.has_secondary and self.value_secondary is not None:
            problems["value_secondary"] = _("Only blood pressure has a second number.")
        if kind.type == Type.OTHER and not self.label:
            problems["label"] = _("Say what was measured.")
        elif kind.type != Type.OTHER and self.label:
            problems["label"] = _("Only “other” readings have a name.")
        if kind.type != Type.OTHER and self.unit != kind.canonical:
            problems["unit"] = _("%(what)s is recorded in %(unit)s.") % {
                "what": kind.label,
                "unit": kind.canonical,
            }
        if self.measured_at and self.measured_at > timezone.now() + CLOCK_SLACK:
            problems["measured_at"] = _(
                "This time is in the future. Enter when the reading was taken."
            )
        if problems:
            raise ValidationError(problems)


@pghistory.track(meta=fields.history_indexes("threshold"))
class MeasurementThreshold(models.Model):
    """A patient's target range for a type, in the canonical unit; either end may be open."""

    id = fields.uuid_pk()
    patient = fields.patient_fk()
    type = fields.TextField(_("type"), choices=Type.choices)
    min_value = _value(_("lowest"), null=True, blank=True)
    max_value = _value(_("highest"), null=True, blank=True)
    min_secondary = _value(_("lowest diastolic"), null=True, blank=True)
    max_secondary = _value(_("highest diastolic"), null=True, blank=True)
    is_active = fields.BooleanField(_("in use"), default=True, db_default=True)
    updated_by = fields.author_fk(_("set by"))
    created_at = fields.created_at(verbose_name=_("created"))
    updated_at = fields.updated_at(verbose_name=_("updated"))

    class Meta:
        db_table = "measurement_thresholds"
        verbose_name = _("target range")
        verbose_name_plural = _("target ranges")
        constraints = [
            models.UniqueConstraint(
                fields=["patient", "type"], name="measurement_thresholds_patient_type_key"
            ),
            models.CheckConstraint(
                condition=Q(type__in=Type.values) & ~Q(type=Type.OTHER),
                name="measurement_thresholds_type_check",
            ),
            models.CheckConstraint(
                condition=Q(min_value__isnull=True)
                | Q(max_value__isnull=True)
                | Q(min_value__lte=models.F("max_value")),
                name="measurement_thresholds_value_order",
            ),
            models.CheckConstraint(
                condition=Q(min_secondary__isnull=True)
                | Q(max_secondary__isnull=True)
                | Q(min_secondary__lte=models.F("max_secondary")),
                name="measurement_thresholds_secondary_order",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.type} {self.min_value}–{self.max_value}"

    @property
    def places(self) -> int:
        """Readings are compared at the precision of the canonical unit (37.8 °C,
        180 mg/dL), so 10.0 mmol/L (180.16 mg/dL) is not above "at most 180"."""
        return KINDS[self.type].canonical_places

    def breached(self, value: Decimal, secondary: Decimal | None = None) -> bool:
        """Is a reading outside this range? (``breach`` says the same in SQL.)"""
        if not self.is_active:
            return False
        return self.outside(value, self.min_value, self.max_value) or (
            secondary is not None
            and self.outside(secondary, self.min_secondary, self.max_secondary)
        )

    def outside(self, value: Decimal, low: Decimal | None, high: Decimal | None) -> bool:
        """Is one number outside [low, high] (either end open)?"""
        rounded = value.quantize(Decimal(1).scaleb(-self.places), ROUND_HALF_UP)
        return (low is not None and rounded < low) or (high is not None and rounded > high)

    def breach(self) -> Q | None:
        """The readings outside this range, as a condition for one UPDATE (None: none are)."""
        outside: Q | None = None
        if not self.is_active:
            return None
        for column, low, high in (
            ("value", self.min_value, self.max_value),
            ("value_secondary", self.min_secondary, self.max_secondary),
        ):
            rounded = Round(column, self.places)
            for compare, bound in ((LessThan, low), (GreaterThan, high)):
                if bound is not None:
                    condition = Q(compare(rounded, bound))
                    outside = condition if outside is None else outside | condition
        return outside
