from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.forms import EmailInput
from caregivers.models import CaregiverRole
from caregivers.services import NARROWABLE
from medtrack.forms import FormTokenField

AREA_LABELS = {
    "medications": _("Medications"),
    "doses": _("Doses"),
    "measurements": _("Readings"),
    "logs": _("Journal"),
    "appointments": _("Appointments"),
    "files": _("Documents and photos"),
    "exports": _("Exports for the doctor"),
    "caregivers": _("The care team list"),
}
NARROWING_CHOICES = [
    ("", _("As the role allows")),
    ("read", _("Only look")),
    ("none", _("Hidden")),
]
ROLE_HELP = _(
    "Primary: everything, including the team. Caregiver: records and changes care. "
    "Viewer: can look, not change."
)


class RoleAndPermissionsForm(forms.Form):
    """A role, and per-area narrowing that can only take rights away."""

    role = forms.ChoiceField(
        label=_("Role"),
        choices=CaregiverRole.choices,
        widget=forms.RadioSelect,
        help_text=ROLE_HELP,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for area in NARROWABLE:
            self.fields[f"perm_{area}"] = forms.ChoiceField(
                label=AREA_LABELS[area], choices=NARROWING_CHOICES, required=False
            )

    @property
    def main_fields(self) -> list[forms.BoundField]:
        return [
            field for field in self if not field.name.startswith("perm_") and not field.is_hidden
        ]

    @property
    def permission_fields(self) -> list[forms.BoundField]:
        return [field for field in self if field.name.startswith("perm_")]

    @property
    def narrowed(self) -> bool:
        return any(field.value() for field in self.permission_fields)

    @property
    def permissions(self) -> dict[str, str]:
        return {
            area: self.cleaned_data[f"perm_{area}"]
            for area in NARROWABLE
            if self.cleaned_data.get(f"perm_{area}")
        }

    @staticmethod
    def initial_for(role: str, permissions: dict[str, str]) -> dict[str, str]:
        return {"role": role, **{f"perm_{area}": value for area, value in permissions.items()}}


class InviteForm(RoleAndPermissionsForm):
    #: Made when the form is shown; it becomes the invitation's id (a double submit sends one).
    form_token = FormTokenField()
    email = forms.EmailField(label=_("Their e-mail"), widget=EmailInput())
    field_order = ["email", "role"]
