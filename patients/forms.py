from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.forms import TimezoneField
from medtrack.forms import (
    DateInput,
    FormTokenField,
    PhoneNumberField,
    TextListField,
    TextListWidget,
)
from patients.models import Gender


class PatientForm(forms.Form):
    """The patient's profile. ``form_token`` (create) and ``version`` (edit) make
    double submits and concurrent edits safe; the services check them."""

    name = forms.CharField(
        label=_("Full name"), max_length=200, widget=forms.TextInput(attrs={"autocomplete": "off"})
    )
    dob = forms.DateField(label=_("Date of birth"), widget=DateInput())
    gender = forms.ChoiceField(label=_("Gender"), choices=Gender.choices, widget=forms.RadioSelect)
    allergies = TextListField(
        label=_("Allergies"),
        help_text=_("One per box, e.g. penicillin. Leave empty if none are known."),
        widget=TextListWidget(item_label=_("Allergy")),
    )
    medical_conditions = TextListField(
        label=_("Medical conditions"),
        help_text=_("One per box, e.g. type 2 diabetes."),
        widget=TextListWidget(item_label=_("Condition")),
    )
    contact_name = forms.CharField(label=_("Emergency contact: name"), max_length=200)
    contact_phone = PhoneNumberField(label=_("Emergency contact: phone"))
    contact_relationship = forms.CharField(
        label=_("Emergency contact: relationship"),
        max_length=100,
        widget=forms.TextInput(attrs={"placeholder": _("e.g. daughter, neighbour")}),
    )
    timezone = TimezoneField(
        label=_("Time zone where they live"),
        help_text=_("Doses and appointments are shown in this time zone."),
        widget=forms.Select(attrs={"data-browser-timezone": "true"}),
    )
    form_token = FormTokenField()
    version = forms.DateTimeField(widget=forms.HiddenInput, required=False)

    def clean_name(self) -> str:
        name = " ".join(self.cleaned_data["name"].split())
        if not name:
            raise forms.ValidationError(_("Please enter the patient's name."))
        return name

    def clean_dob(self) -> dt.date:
        dob: dt.date = self.cleaned_data["dob"]
        today = timezone.localdate()
        if dob > today:
            raise forms.ValidationError(_("The date of birth cannot be in the future."))
        if dob < dt.date(today.year - 130, 1, 1):
            raise forms.ValidationError(_("Please check the year of birth."))
        return dob

    @property
    def emergency_contact(self) -> dict[str, str]:
        data = self.cleaned_data
        return {
            "name": data["contact_name"].strip(),
            "phone": data["contact_phone"],
            "relationship": data["contact_relationship"].strip(),
        }

    @property
    def profile(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "name": data["name"],
            "dob": data["dob"],
            "gender": data["gender"],
            "allergies": data["allergies"],
            "medical_conditions": data["medical_conditions"],
            "emergency_contact": self.emergency_contact,
            "timezone": data["timezone"],
        }


def initial_from(patient: Any) -> dict[str, Any]:
    contact = patient.contact
    return {
        "name": patient.name,
        "dob": patient.dob,
        "gender": patient.gender,
        "allergies": patient.allergies,
        "medical_conditions": patient.medical_conditions,
        "contact_name": contact.get("name", ""),
        "contact_phone": contact.get("phone", ""),
        "contact_relationship": contact.get("relationship", ""),
        "timezone": patient.timezone,
        "version": patient.updated_at,
    }
