"""Entry of readings and target ranges, in the user's units and the patient's time zone."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django import forms
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from measurements.kinds import CLOCK_SLACK, Kind, Type, Unit, reading_problems
from measurements.models import Measurement, MeasurementThreshold
from medtrack.forms import FormTokenField, LocalDateTimeField


def _number(label: Any, unit: Unit, **kwargs: Any) -> forms.DecimalField:
    field = forms.DecimalField(
        label=f"{label} ({unit.symbol})" if unit.symbol else label,
        max_digits=14,
        decimal_places=max(unit.places, 2),
        **kwargs,
    )
    field.widget.attrs.update({"inputmode": "decimal", "step": "any"})
    return field


class MeasurementForm(forms.Form):
    """One reading of ``kind``; values are entered in ``unit`` and cleaned to the
    canonical unit (``cleaned_data`` fits ``measurement_create``)."""

    form_token = FormTokenField()
    version = forms.DateTimeField(widget=forms.HiddenInput, required=False)

    def __init__(
        self,
        *args: Any,
        kind: Kind,
        preferences: Mapping[str, str] | None,
        zone: ZoneInfo,
        instance: Measurement | None = None,
        **kwargs: Any,
    ) -> None:
        self.kind, self.zone, self.instance = kind, zone, instance
        self.unit = kind.unit_for(preferences)
        if instance is not None:
            kwargs["initial"] = {**self._initial_from(instance), **kwargs.get("initial", {})}
        super().__init__(*args, **kwargs)
        if kind.type == Type.OTHER:
            self.fields["label"] = forms.CharField(
                label=gettext_lazy("What was measured"),
                max_length=80,
                help_text=gettext_lazy("For example “Peak flow” or “Blood ketones”."),
            )
        self.fields["value"] = _number(kind.value_label, self.unit)
        if kind.type == Type.OTHER:
            self.fields["unit"] = forms.CharField(
                label=gettext_lazy("Unit"),
                max_length=20,
                help_text=gettext_lazy("For example L/min or mmol/L."),
            )
        if kind.has_secondary:
            self.fields["value_secondary"] = _number(kind.secondary_label, self.unit)
        self.fields["measured_at"] = LocalDateTimeField(
            label=gettext_lazy("Measured at"), zone=zone
        )
        if kind.contexts:
            self.fields["context"] = forms.ChoiceField(
                label=gettext_lazy("When"),
                choices=[("", gettext_lazy("—")), *((c.value, c.label) for c in kind.contexts)],
                required=False,
            )
        self.fields["notes"] = forms.CharField(
            label=gettext_lazy("Notes"),
            required=False,
            max_length=2000,
            widget=forms.Textarea(attrs={"rows": 2}),
        )
        self.order_fields(["label", "value", "value_secondary", "unit", "measured_at"])

    def _initial_from(self, reading: Measurement) -> dict[str, Any]:
        initial: dict[str, Any] = {
            "value": self.unit.show(reading.value),
            "measured_at": reading.measured_at,
            "context": reading.context,
            "notes": reading.notes,
            "label": reading.label,
            "unit": reading.unit,
            "version": reading.updated_at,
        }
        if reading.value_secondary is not None:
            initial["value_secondary"] = self.unit.show(reading.value_secondary)
        return initial

    def _canonical(self, name: str, limits_low: Decimal, limits_high: Decimal) -> Decimal | None:
        shown = self.cleaned_data.get(name)
        if shown is None:
            return None
        instance_value = getattr(self.instance, name, None) if self.instance else None
        if instance_value is not None and name not in self.changed_data:
            return instance_value  # unchanged: keep the stored value, no rounding drift
        value = self.unit.store(shown)
        if not limits_low <= value <= limits_high:
            raise forms.ValidationError(
                _(
                    "%(value)s is not possible for %(what)s: please check the reading "
                    "(between %(low)s and %(high)s)."
                ),
                params={
                    "value": f"{shown.normalize():f} {self.unit.symbol}".strip(),
                    "what": self.kind.label.lower(),
                    "low": self.unit.format(limits_low),
                    "high": self.unit.format(limits_high),
                },
                code="impossible",
            )
        return value

    def clean_value(self) -> Decimal | None:
        limits = self.kind.limits
        return self._canonical("value", limits.low, limits.high)

    def clean_value_secondary(self) -> Decimal | None:
        limits = self.kind.secondary_limits
        assert limits is not None
        return self._canonical("value_secondary", limits.low, limits.high)

    def clean_measured_at(self) -> dt.datetime:
        measured_at: dt.datetime = self.cleaned_data["measured_at"]
        if measured_at > timezone.now() + CLOCK_SLACK:
            raise forms.ValidationError(
                _("This time is in the future. Enter when the reading was taken.")
            )
        return measured_at

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        problems = reading_problems(self.kind, data.get("value"), data.get("value_secondary"))
        for name, problem in problems.items():
            if name not in self.errors:
                self.add_error(name, problem)
        return data

    @property
    def reading(self) -> dict[str, Any]:
        """The cleaned reading, as ``measurement_create``/``_update`` take it."""
        data = self.cleaned_data
        return {
            "type": self.kind.type.value,
            "label": data.get("label", ""),
            "value": data["value"],
            "value_secondary": data.get("value_secondary"),
            "unit": data.get("unit") or self.kind.canonical,
            "measured_at": data["measured_at"],
            "context": data.get("context", ""),
            "notes": data.get("notes", ""),
        }


class ThresholdForm(forms.Form):
    """A target range in the user's units; either end may be left open. ``version``
    (the ``updated_at`` it was opened with) makes a stale edit a conflict."""

    version = forms.DateTimeField(widget=forms.HiddenInput, required=False)
    is_active = forms.BooleanField(
        label=gettext_lazy("Flag readings outside this range"), required=False, initial=True
    )

    def __init__(
        self,
        *args: Any,
        kind: Kind,
        preferences: Mapping[str, str] | None,
        instance: MeasurementThreshold | None = None,
        **kwargs: Any,
    ) -> None:
        self.kind, self.instance = kind, instance
        self.unit = kind.unit_for(preferences)
        if instance is not None:
            kwargs.setdefault("initial", {})
            kwargs["initial"].update(
                {
                    name: self.unit.show(value)
                    for name in ("min_value", "max_value", "min_secondary", "max_secondary")
                    if (value := getattr(instance, name)) is not None
                }
            )
            kwargs["initial"]["is_active"] = instance.is_active
            kwargs["initial"]["version"] = instance.updated_at
        super().__init__(*args, **kwargs)
        names = [("min_value", "max_value", kind.value_label)]
        if kind.has_secondary:
            names.append(("min_secondary", "max_secondary", kind.secondary_label))
        for low, high, label in names:
            self.fields[low] = _number(
                _("%(what)s: lowest") % {"what": label}, self.unit, required=False
            )
            self.fields[high] = _number(
                _("%(what)s: highest") % {"what": label}, self.unit, required=False
            )
        self.order_fields([*(n for pair in names for n in pair[:2]), "is_active"])

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        limits = [("min_value", "max_value", self.kind.limits)]
        if self.kind.secondary_limits:
            limits.append(("min_secondary", "max_secondary", self.kind.secondary_limits))
        for low_name, high_name, possible in limits:
            for name in (low_name, high_name):
                shown = data.get(name)
                if shown is None:
                    continue
                if self.instance is not None and name not in self.changed_data:
                    data[name] = getattr(self.instance, name)  # no drift through rounding
                    continue
                value = self.unit.store(shown)
                if not possible.low <= value <= possible.high:
                    self.add_error(
                        name,
                        _("Choose a value between %(low)s and %(high)s.")
                        % {
                            "low": self.unit.format(possible.low),
                            "high": self.unit.format(possible.high),
                        },
                    )
                    data[name] = None
                else:
                    data[name] = value
            low, high = data.get(low_name), data.get(high_name)
            if low is not None and high is not None and low > high:
                self.add_error(high_name, _("The highest value must not be below the lowest."))
        if (
            not self.errors
            and data.get("is_active")
            and not any(
                data.get(name) is not None
                for name in ("min_value", "max_value", "min_secondary", "max_secondary")
            )
        ):
            self.add_error(None, _("Enter a lowest or a highest value (or both)."))
        return data
