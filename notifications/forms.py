from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from notifications.models import (
    CHOOSABLE,
    DEFAULT_CHANNELS,
    Channel,
    NotificationPreferences,
    Type,
)

#: What each type is, for the preferences page.
DESCRIPTIONS = {
    Type.DOSE_DUE: _(
        "When a scheduled dose comes due. That is every dose, so it is off unless you want it."
    ),
    Type.DOSE_MISSED: _(
        "When a dose was not recorded within the missed window. Urgent: e-mailed "
        "even in quiet hours."
    ),
    Type.REFILL_LOW: _("When a medication's stock reaches its refill level."),
    Type.APPOINTMENT_UPCOMING: _("At the reminder times each appointment asks for."),
    Type.MEASUREMENT_OUT_OF_RANGE: _(
        "For each reading outside its target. Urgent: e-mailed even in quiet hours."
    ),
    Type.CAREGIVER_INVITED: _(
        "When someone invites you to a care team (the invitation link always comes by e-mail)."
    ),
    Type.CAREGIVER_JOINED: _("When someone joins a care team you manage."),
    Type.FILE_SHARED: _("When someone shares a document with you."),
    Type.EXPORT_READY: _("When an export you asked for is ready."),
}


@dataclass(frozen=True)
class Row:
    label: str
    description: str
    in_app: forms.BoundField
    email: forms.BoundField


class PreferencesForm(forms.Form):
    email_enabled = forms.BooleanField(
        label=_("Send me e-mails"),
        required=False,
        help_text=_("Off: nothing is e-mailed, whatever is ticked below."),
    )
    quiet_hours_start = forms.TimeField(
        label=_("Quiet hours from"), required=False, widget=forms.TimeInput(attrs={"type": "time"})
    )
    quiet_hours_end = forms.TimeField(
        label=_("Quiet hours until"),
        required=False,
        widget=forms.TimeInput(attrs={"type": "time"}),
    )

    def __init__(self, *args: Any, preferences: NotificationPreferences, **kwargs: Any) -> None:
        kwargs.setdefault(
            "initial",
            {
                "email_enabled": preferences.email_enabled,
                "quiet_hours_start": preferences.quiet_hours_start,
                "quiet_hours_end": preferences.quiet_hours_end,
            },
        )
        super().__init__(*args, **kwargs)
        for type in CHOOSABLE:
            current = preferences.chosen(type)
            for channel in Channel:
                self.fields[f"{type}_{channel}"] = forms.BooleanField(
                    label=f"{type.label}: {channel.label}",
                    required=False,
                    initial=channel in current,
                )

    def rows(self) -> list[Row]:
        return [
            Row(
                str(type.label),
                str(DESCRIPTIONS[type]),
                self[f"{type}_{Channel.IN_APP}"],
                self[f"{type}_{Channel.EMAIL}"],
            )
            for type in CHOOSABLE
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("quiet_hours_start"), data.get("quiet_hours_end")
        typo = self.has_error("quiet_hours_start") or self.has_error("quiet_hours_end")
        if (start is None) != (end is None) and not typo:
            self.add_error(
                "quiet_hours_end" if end is None else "quiet_hours_start",
                _("Give both times, or neither for no quiet hours."),
            )
        elif start is not None and start == end:
            self.add_error("quiet_hours_end", _("Quiet hours must end at a different time."))
        return data

    def channels(self) -> dict[str, list[str]]:
        """The types whose channels differ from the defaults, and their channels."""
        changed = {}
        for type in CHOOSABLE:
            chosen = [c for c in Channel if self.cleaned_data[f"{type}_{c}"]]
            if frozenset(chosen) != DEFAULT_CHANNELS[type]:
                changed[str(type)] = [str(c) for c in chosen]
        return changed

    @property
    def quiet_hours(self) -> tuple[dt.time | None, dt.time | None]:
        return self.cleaned_data["quiet_hours_start"], self.cleaned_data["quiet_hours_end"]
