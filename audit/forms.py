from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from audit.models import REASON_MIN_LENGTH


class BreakGlassOpenForm(forms.Form):
    """Staff open emergency access by the patient's id: the admin never lists
    patients to pick from before a grant exists."""

    patient_id = forms.UUIDField(
        label=_("Patient id"),
        help_text=_("From the support ticket: the id in the patient's address (/patients/<id>/)."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "size": 40}),
    )
    reason = forms.CharField(
        label=_("Reason"),
        min_length=REASON_MIN_LENGTH,
        max_length=1000,
        help_text=_(
            "A sentence the family will read on their Activity page: what you were asked "
            "to do, by whom, and the ticket number."
        ),
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
    )

    def clean_reason(self) -> str:
        reason = " ".join(self.cleaned_data["reason"].split())
        if len(reason.split()) < 4:
            raise forms.ValidationError(
                _("Write the reason as a sentence (at least four words)."), code="not_a_sentence"
            )
        return reason
