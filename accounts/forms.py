"""Account forms: they validate and clean; services do the writing."""

from __future__ import annotations

import zoneinfo
from functools import cache
from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm, BaseUserCreationForm
from django.utils.translation import gettext_lazy as _

from accounts.models import UNIT_CHOICES, User, UserManager


@cache
def timezone_choices() -> list[tuple[str, str]]:
    zones = sorted(
        zone
        for zone in zoneinfo.available_timezones()
        if "/" in zone and not zone.startswith("Etc/")
    )
    return [("UTC", "UTC"), *((zone, zone.replace("_", " ")) for zone in zones)]


class TimezoneField(forms.ChoiceField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(choices=timezone_choices, **kwargs)


class EmailInput(forms.EmailInput):
    def __init__(self, **attrs: Any) -> None:
        super().__init__(attrs={"autocomplete": "email", "autocapitalize": "none", **attrs})


class SignupForm(BaseUserCreationForm):
    timezone = TimezoneField(
        label=_("Time zone"),
        initial="UTC",
        help_text=_("Times are shown in this zone. We preselect the one your phone uses."),
        widget=forms.Select(attrs={"data-browser-timezone": "true"}),
    )

    class Meta:
        model = User
        fields = ("name", "email")
        field_classes = {"email": forms.EmailField}
        widgets = {
            "name": forms.TextInput(attrs={"autocomplete": "name", "autofocus": True}),
            "email": EmailInput(),
        }
        labels = {"name": _("Your name"), "email": _("E-mail")}
        help_texts = {"email": _("You will sign in with this address.")}

    def clean_email(self) -> str:
        return UserManager.normalize_email(self.cleaned_data["email"])


class LoginForm(AuthenticationForm):
    username = forms.EmailField(label=_("E-mail"), widget=EmailInput(autofocus=True))


class SettingsForm(forms.Form):
    name = forms.CharField(
        label=_("Your name"),
        max_length=200,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    timezone = TimezoneField(label=_("Time zone"))
    weight = forms.ChoiceField(label=_("Weight"), choices=UNIT_CHOICES["weight"])
    temperature = forms.ChoiceField(label=_("Temperature"), choices=UNIT_CHOICES["temperature"])
    glucose = forms.ChoiceField(label=_("Blood glucose"), choices=UNIT_CHOICES["glucose"])
    length = forms.ChoiceField(label=_("Height"), choices=UNIT_CHOICES["length"])
    language = forms.ChoiceField(label=_("Language"), choices=settings.LANGUAGES)

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        if not name:
            raise forms.ValidationError(_("Please enter your name."))
        return name

    @property
    def units(self) -> dict[str, str]:
        return {key: self.cleaned_data[key] for key in UNIT_CHOICES}


class AvatarForm(forms.Form):
    picture = forms.FileField(
        label=_("Your picture"),
        help_text=_("A photo of you, shown to the people you care with. Its location is removed."),
        widget=forms.ClearableFileInput(attrs={"accept": "image/*"}),
    )
