"""The appointment form: times on the patient's clock, an escort from the team."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from zoneinfo import ZoneInfo

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import User
from appointments.models import (
    DEFAULT_REMINDERS,
    REMINDER_CHOICES,
    Appointment,
    Kind,
    time_problems,
)
from medtrack.forms import FormTokenField, LocalDateTimeField

FIELDS = (
    "title",
    "appointment_type",
    "provider_name",
    "location",
    "starts_at",
    "ends_at",
    "reminder_minutes",
    "escort",
    "notes",
)


def _text(label: Any, *, required: bool = False, **kwargs: Any) -> forms.CharField:
    return forms.CharField(label=label, required=required, max_length=200, **kwargs)


class AppointmentForm(forms.Form):
    form_token = FormTokenField()
    version = forms.DateTimeField(widget=forms.HiddenInput, required=False)
    title = _text(
        gettext_lazy("What"),
        required=True,
        help_text=gettext_lazy("For example “Cardiology check-up” or “Blood test”."),
    )
    appointment_type = forms.ChoiceField(label=gettext_lazy("Type"), choices=Kind.choices)
    provider_name = _text(gettext_lazy("With (doctor, clinic)"))
    location = _text(gettext_lazy("Where"), help_text=gettext_lazy("An address or a link."))
    reminder_minutes = forms.TypedMultipleChoiceField(
        label=gettext_lazy("Remind the team"),
        choices=REMINDER_CHOICES,
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    escort = forms.ModelChoiceField(
        label=gettext_lazy("Who takes them"),
        queryset=User.objects.none(),
        required=False,
        empty_label=gettext_lazy("Nobody yet"),
    )
    notes = forms.CharField(
        label=gettext_lazy("Notes"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("What to bring, questions to ask."),
    )

    def __init__(
        self,
        *args: Any,
        zone: ZoneInfo,
        team: Sequence[User],
        instance: Appointment | None = None,
        **kwargs: Any,
    ) -> None:
        if instance is not None:
            kwargs["initial"] = {
                **{name: getattr(instance, name) for name in FIELDS},
                "escort": instance.escort_id,
                "version": instance.updated_at,
                **kwargs.get("initial", {}),
            }
        else:
            kwargs.setdefault("initial", {}).setdefault("reminder_minutes", DEFAULT_REMINDERS)
        super().__init__(*args, **kwargs)
        self.fields["starts_at"] = LocalDateTimeField(label=gettext_lazy("Starts"), zone=zone)
        self.fields["ends_at"] = LocalDateTimeField(
            label=gettext_lazy("Ends"), zone=zone, required=False
        )
        # The saved escort stays selectable after leaving the team (saving other
        # changes keeps them); choosing a non-member is refused by the service.
        members = {u.pk for u in team}
        keep = {instance.escort_id} if instance is not None and instance.escort_id else set()
        escort = self.fields["escort"]
        escort.queryset = User.objects.filter(pk__in=members | keep).order_by("name")  # type: ignore[attr-defined]
        escort.label_from_instance = lambda user: (  # type: ignore[attr-defined]
            user.name
            if user.pk in members
            else _("%(name)s (no longer on the team)") % {"name": user.name}
        )
        self.order_fields(FIELDS)

    def clean_title(self) -> str:
        return " ".join(self.cleaned_data["title"].split())

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        for name, problem in time_problems(data.get("starts_at"), data.get("ends_at")).items():
            self.add_error(name, problem)
        return data

    @property
    def appointment(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            name: data.get(name)
            if name != "reminder_minutes"
            else sorted(set(data[name]), reverse=True)
            for name in FIELDS
        }


class OutcomeForm(forms.Form):
    outcome = forms.CharField(
        label=gettext_lazy("What came of it"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=gettext_lazy("Results, new prescriptions, the next appointment to book."),
    )
