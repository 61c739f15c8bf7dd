"""The day's journal entry: quick to fill on a phone, every part optional."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy

from journal.models import DailyLog
from journal.services import CONTENT
from medtrack.forms import FormTokenField, TextListField

SCALES = {
    "mood": [
        gettext_lazy("Very low"),
        gettext_lazy("Low"),
        gettext_lazy("OK"),
        gettext_lazy("Good"),
        gettext_lazy("Very good"),
    ],
    "energy": [
        gettext_lazy("Exhausted"),
        gettext_lazy("Tired"),
        gettext_lazy("OK"),
        gettext_lazy("Good"),
        gettext_lazy("Lively"),
    ],
    "appetite": [
        gettext_lazy("None"),
        gettext_lazy("Poor"),
        gettext_lazy("OK"),
        gettext_lazy("Good"),
        gettext_lazy("Very good"),
    ],
    "sleep_quality": [
        gettext_lazy("Very poor"),
        gettext_lazy("Poor"),
        gettext_lazy("OK"),
        gettext_lazy("Good"),
        gettext_lazy("Very good"),
    ],
}


class ScaleSelect(forms.RadioSelect):
    """Big touch targets in a row (styled by ``.scale``), keyboard-operable as radios."""

    def __init__(self, *, numbers: bool = False, **kwargs: Any) -> None:
        super().__init__(attrs={"class": "scale scale-numbers" if numbers else "scale"}, **kwargs)


def _scale(
    label: Any, choices: Sequence[tuple[int, Any]], *, numbers: bool = False
) -> forms.TypedChoiceField:
    """One tap per answer, and "Not noted" to take a tap back (there is no JavaScript)."""
    return forms.TypedChoiceField(
        label=label,
        choices=[*choices, ("", gettext_lazy("Not noted"))],
        coerce=int,
        empty_value=None,
        required=False,
        widget=ScaleSelect(numbers=numbers),
    )


class DailyLogForm(forms.Form):
    form_token = FormTokenField()
    version = forms.DateTimeField(widget=forms.HiddenInput, required=False)
    mood = _scale(gettext_lazy("Mood"), list(enumerate(SCALES["mood"], start=1)))
    energy = _scale(gettext_lazy("Energy"), list(enumerate(SCALES["energy"], start=1)))
    appetite = _scale(gettext_lazy("Appetite"), list(enumerate(SCALES["appetite"], start=1)))
    pain_level = _scale(
        gettext_lazy("Pain (0 none – 10 worst)"), [(n, str(n)) for n in range(11)], numbers=True
    )
    sleep_hours = forms.DecimalField(
        label=gettext_lazy("Hours slept"),
        required=False,
        min_value=0,
        max_value=24,
        max_digits=4,
        decimal_places=2,
        widget=forms.NumberInput(attrs={"inputmode": "decimal", "step": "0.5"}),
    )
    sleep_quality = _scale(
        gettext_lazy("Sleep quality"), list(enumerate(SCALES["sleep_quality"], start=1))
    )
    symptoms = TextListField(label=gettext_lazy("Symptoms"), max_items=30, max_length=80)
    activities = TextListField(label=gettext_lazy("Activities"), max_items=30, max_length=80)
    notes = forms.CharField(
        label=gettext_lazy("Notes"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )

    def __init__(
        self,
        *args: Any,
        instance: DailyLog | None = None,
        suggestions: dict[str, list[str]] | None = None,
        **kwargs: Any,
    ) -> None:
        if instance is not None:
            kwargs["initial"] = {
                **{name: getattr(instance, name) for name in CONTENT},
                "version": instance.updated_at,
                **kwargs.get("initial", {}),
            }
        super().__init__(*args, **kwargs)
        for name in ("symptoms", "activities"):
            widget = self.fields[name].widget
            widget.item_label = self.fields[name].label
            widget.suggestions = (suggestions or {}).get(name, [])

    @property
    def content(self) -> dict[str, Any]:
        return {
            name: self.cleaned_data[name]
            for name in self.fields
            if name not in ("form_token", "version")
        }


def parse_day(value: str | None, today: dt.date) -> dt.date | None:
    """A ``?date=`` for the journal: none means today; the future is refused (None)."""
    if not value:
        return today
    try:
        day = dt.date.fromisoformat(value)
    except ValueError:
        return None
    return day if dt.date(1900, 1, 1) <= day <= today else None
