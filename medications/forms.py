from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django import forms
from django.utils import dates, timezone
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from medications import recurrence
from medications.models import Frequency, Medication, Status
from medications.services import TaperStep
from medtrack.forms import DateInput, FormTokenField, SaneDateField, TextListField, TextListWidget

# Django's names ("lunes"...), so that our catalogue does not override the ones
# dates are written with; capitalised for the checkboxes.
WEEKDAYS = [(number, capfirst(dates.WEEKDAYS[number - 1])) for number in range(1, 8)]


class TimeListWidget(TextListWidget):
    input_type = "time"


class TimeListField(TextListField):
    """Times of day, one input each; cleaned to sorted, unique ``time`` objects."""

    widget = TimeListWidget

    def to_python(self, value: Any) -> list[dt.time]:  # type: ignore[override]
        times = set()
        for item in super().to_python(value):
            try:
                times.add(dt.time.fromisoformat(item).replace(second=0, microsecond=0))
            except ValueError:
                raise forms.ValidationError(
                    _("“%(value)s” is not a time; use the 24-hour clock, e.g. 08:00 or 20:30."),
                    params={"value": item},
                ) from None
        return sorted(times)

    def validate(self, value: list[Any]) -> None:
        if self.required and not value:
            raise forms.ValidationError(self.error_messages["required"], code="required")


TEXT_FIELDS = (
    "name",
    "generic_name",
    "strength",
    "dose_unit",
    "route",
    "instructions",
    "reason",
    "prescriber",
    "pharmacy",
    "rx_number",
    "appearance",
)


class MedicationForm(forms.ModelForm):
    """``form_token`` (create) and ``version`` (edit: the ``updated_at`` it was opened
    with) make a double submit add one medication and a stale edit a conflict."""

    form_token = FormTokenField()
    version = forms.DateTimeField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Medication
        fields = [
            "name",
            "strength",
            "form",
            "dose_amount",
            "dose_unit",
            "instructions",
            "reason",
            "appearance",
            "is_prn",
            "prn_max_per_day",
            "prn_min_interval_hours",
            "start_date",
            "end_date",
            "quantity_on_hand",
            "refill_threshold",
            "generic_name",
            "route",
            "prescriber",
            "pharmacy",
            "rx_number",
        ]
        widgets = dict.fromkeys(TEXT_FIELDS, forms.TextInput) | {
            "start_date": DateInput(),
            "end_date": DateInput(),
        }
        field_classes = {"start_date": SaneDateField, "end_date": SaneDateField}
        help_texts = {"is_prn": _("Taken only when needed, e.g. for pain. It gets no schedule.")}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        instance = kwargs.get("instance")
        if instance is not None:
            kwargs["initial"] = {"version": instance.updated_at, **kwargs.get("initial", {})}
        super().__init__(*args, **kwargs)
        self.fields["dose_amount"].widget.attrs.update({"inputmode": "decimal", "step": "any"})

    # The rules between fields live on the model (Medication.clean), which this
    # ModelForm runs, as every other writer does through the services.


class ScheduleForm(forms.Form):
    """A schedule in plain words; ``recurrence`` gives what the preview shows."""

    frequency = forms.ChoiceField(
        label=_("How often"), choices=Frequency.choices, widget=forms.RadioSelect
    )
    times = TimeListField(
        label=_("At what time"),
        help_text=_("For “every few hours”, the time of the first dose."),
        widget=TimeListWidget(item_label=_("Time")),
        max_items=recurrence.MAX_DOSES_PER_DAY,
    )
    days_of_week = forms.TypedMultipleChoiceField(
        label=_("On these days"),
        choices=WEEKDAYS,
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    interval = forms.IntegerField(
        label=_("Every how many (days or hours)"),
        required=False,
        min_value=1,
        help_text=_(
            "“Every few hours” counts real hours, so on the days the clocks change "
            "the doses move by an hour on the clock."
        ),
    )
    dose_amount = forms.DecimalField(
        label=_("Dose, if different from usual"),
        required=False,
        min_value=Decimal("0.001"),
        max_digits=10,
        decimal_places=3,
    )
    start_date = SaneDateField(label=_("From"))
    end_date = SaneDateField(label=_("Until (optional)"), required=False)
    form_token = FormTokenField()
    version = forms.DateTimeField(widget=forms.HiddenInput, required=False)

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        problems = recurrence.schedule_problems(
            data.get("frequency"),
            data.get("times") or [],
            [int(day) for day in data.get("days_of_week") or []],
            data.get("interval"),
            data.get("start_date"),
            data.get("end_date"),
        )
        for name, problem in problems.items():
            field = "times" if name == "times_of_day" else name
            if field not in self.errors:
                self.add_error(field, problem)
        return data

    @property
    def fields_for_service(self) -> dict[str, Any]:
        data = self.cleaned_data
        frequency = data["frequency"]
        return {
            "frequency": frequency,
            "times_of_day": data["times"],
            "days_of_week": sorted(data["days_of_week"]) if frequency == recurrence.WEEKLY else [],
            "interval": data["interval"]
            if frequency in (recurrence.EVERY_N_DAYS, recurrence.EVERY_N_HOURS)
            else None,
            "dose_amount": data["dose_amount"],
            "start_date": data["start_date"],
            "end_date": data["end_date"],
        }

    def recurrence(self) -> recurrence.Recurrence:
        fields = self.fields_for_service
        return recurrence.Recurrence(
            frequency=fields["frequency"],
            times=tuple(fields["times_of_day"]),
            start=fields["start_date"],
            end=fields["end_date"],
            weekdays=frozenset(fields["days_of_week"]),
            interval=fields["interval"] or 1,
        )

    @staticmethod
    def initial_for(schedule: Any) -> dict[str, Any]:
        return {
            "frequency": schedule.frequency,
            "times": schedule.times_of_day,
            "days_of_week": schedule.days_of_week,
            "interval": schedule.interval,
            "dose_amount": schedule.dose_amount,
            "start_date": schedule.start_date,
            "end_date": schedule.end_date,
            "version": schedule.updated_at,
        }


TAPER_STEPS = 6


class StatusForm(forms.Form):
    status = forms.ChoiceField(choices=Status.choices)
    reason = forms.CharField(max_length=500, required=False)


class TaperForm(forms.Form):
    """A taper in one go: daily times, then up to six steps of "amount for N days"."""

    start_date = SaneDateField(label=_("First day"), initial=timezone.localdate)
    form_token = FormTokenField()
    times = TimeListField(
        max_items=recurrence.MAX_DOSES_PER_DAY,
        label=_("At what time each day"),
        widget=TimeListWidget(item_label=_("Time")),
        required=True,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for number in range(1, TAPER_STEPS + 1):
            self.fields[f"step{number}_amount"] = forms.DecimalField(
                label=_("Step %(n)s: dose") % {"n": number},
                required=False,
                min_value=Decimal("0.001"),
                max_digits=10,
                decimal_places=3,
            )
            self.fields[f"step{number}_days"] = forms.IntegerField(
                # Six of these side by side: each label says its step, or a screen
                # reader hears six identical "for how many days" fields.
                label=_("Step %(n)s: for how many days") % {"n": number},
                required=False,
                min_value=1,
                max_value=365,
            )

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        steps = []
        for number in range(1, TAPER_STEPS + 1):
            amount, days = data.get(f"step{number}_amount"), data.get(f"step{number}_days")
            if amount and days:
                steps.append(TaperStep(amount, days))
            elif amount or days:
                self.add_error(
                    f"step{number}_days" if amount else f"step{number}_amount",
                    _("Give both the dose and the days."),
                )
        if not steps and not self.errors:
            self.add_error("step1_amount", _("Add at least one step, e.g. 2 tablets for 5 days."))
        data["steps"] = steps
        return data

    def step_rows(self) -> list[tuple[forms.BoundField, forms.BoundField]]:
        return [
            (self[f"step{n}_amount"], self[f"step{n}_days"]) for n in range(1, TAPER_STEPS + 1)
        ]
