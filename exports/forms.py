from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from exports.models import Format
from medtrack.forms import DateInput, FormTokenField


class ExportForm(forms.Form):
    format = forms.ChoiceField(
        label=_("What"), choices=Format.choices, widget=forms.RadioSelect, initial=Format.PDF
    )
    date_from = forms.DateField(label=_("From"), widget=DateInput())
    date_to = forms.DateField(label=_("To"), widget=DateInput())
    form_token = FormTokenField()

    def clean(self) -> dict:
        data = super().clean() or {}
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", _("The end must be on or after the start."))
        return data
