from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from django import forms
from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from files.inspect import ACCEPT_ATTRIBUTE, ACCEPTED
from files.models import Kind
from files.selectors import Attached
from journal.models import DailyLog
from measurements.models import Measurement
from medtrack.forms import FormTokenField
from patients.models import Patient


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    widget = MultipleFileInput

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        found = data if isinstance(data, list | tuple) else [data] if data else []
        if not found:
            raise forms.ValidationError(_("Choose at least one file."), code="required")
        limit = settings.FILE_MAX_PER_UPLOAD
        if len(found) > limit:
            raise forms.ValidationError(
                ngettext(
                    "At most %(limit)d file at once, please.",
                    "At most %(limit)d files at once, please.",
                    limit,
                )
                % {"limit": limit}
            )
        return [super(MultipleFileField, self).clean(item, initial) for item in found]


class UploadForm(forms.Form):
    # (Not "files": a form's ``files`` is the request's uploads.)
    upload = MultipleFileField(
        label=_("Files"),
        help_text=_("%(accepted)s; up to %(size)s each. Several at once is fine."),
        widget=MultipleFileInput(attrs={"accept": ACCEPT_ATTRIBUTE}),
    )
    keep_location = forms.BooleanField(
        label=_("Keep where photos were taken"),
        required=False,
        help_text=_("Off: the location a phone stores in a photo is removed before it is kept."),
    )
    measurement = forms.ModelChoiceField(
        queryset=Measurement.objects.none(), required=False, widget=forms.HiddenInput
    )
    log = forms.ModelChoiceField(
        queryset=DailyLog.objects.none(), required=False, widget=forms.HiddenInput
    )
    form_token = FormTokenField()

    def __init__(self, *args: Any, patient: Patient, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["upload"].help_text = self.fields["upload"].help_text % {
            "accepted": ACCEPTED,
            "size": filesizeformat(settings.FILE_MAX_MB * 1024 * 1024),
        }
        self.fields["measurement"].queryset = Measurement.objects.filter(patient=patient)  # type: ignore[attr-defined]
        self.fields["log"].queryset = DailyLog.objects.filter(patient=patient)  # type: ignore[attr-defined]

    def clean_form_token(self) -> uuid.UUID:
        return self.cleaned_data.get("form_token") or uuid.uuid4()


class FileForm(forms.Form):
    file_name = forms.CharField(label=_("Name"), max_length=150)
    note = forms.CharField(
        label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 3}), max_length=2000
    )
    version = forms.DateTimeField(widget=forms.HiddenInput, required=False)


EXPIRY_CHOICES = [
    ("1", _("For a day")),
    ("7", _("For a week")),
    ("30", _("For a month")),
    ("", _("Until I stop sharing")),
]


class ShareForm(forms.Form):
    email = forms.EmailField(
        label=_("Their e-mail"),
        help_text=_("Someone with a MedTrack account who is not on the care team, e.g. a nurse."),
    )
    days = forms.ChoiceField(
        label=_("How long"), choices=EXPIRY_CHOICES, required=False, initial="7"
    )

    def expires_at(self, now: dt.datetime) -> dt.datetime | None:
        days = self.cleaned_data.get("days")
        return now + dt.timedelta(days=int(days)) if days else None


class FilterForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Kind"), required=False, choices=[("", _("All kinds")), *Kind.choices]
    )
    attached = forms.ChoiceField(
        label=_("Attached to"),
        required=False,
        choices=[
            (Attached.ANY, _("Anything or nothing")),
            (Attached.MEASUREMENT, _("A reading")),
            (Attached.JOURNAL, _("A journal entry")),
            (Attached.NONE, _("Nothing")),
        ],
    )
