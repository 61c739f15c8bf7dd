"""Form pieces shared by several apps."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


class TextListWidget(forms.Widget):
    """Several one-line inputs with the same name: add and remove items, one each.

    Works without JavaScript (the existing items plus a blank one are shown;
    ``static/js/app.js`` adds "Add another" and "Remove" behaviour).
    """

    template_name = "widgets/text_list.html"
    use_fieldset = True
    input_type = "text"

    def __init__(self, item_label: StrOrPromise = "", attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs)
        self.item_label = item_label
        #: Offered as the user types (a ``<datalist>``), e.g. what was used before.
        self.suggestions: list[str] = []

    def format_value(self, value: Any) -> list[str]:
        if not value:
            return []
        if isinstance(value, str):
            return [value]
        return [
            item.strftime("%H:%M") if hasattr(item, "strftime") else str(item) for item in value
        ]

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        context = super().get_context(name, value, attrs)
        context["widget"]["items"] = [*(item for item in self.format_value(value) if item), ""]
        context["widget"]["item_label"] = self.item_label
        context["widget"]["input_type"] = self.input_type
        context["widget"]["suggestions"] = self.suggestions
        return context

    def value_from_datadict(self, data: Any, files: Any, name: str) -> list[str]:
        return data.getlist(name) if hasattr(data, "getlist") else data.get(name, [])

    def value_omitted_from_data(self, data: Any, files: Any, name: str) -> bool:
        return False  # an empty list is a value: every item was removed


class TextListField(forms.Field):
    """A list of short texts (allergies, conditions): trimmed, blanks dropped, no duplicates."""

    widget = TextListWidget
    default_error_messages = {
        "too_many": _("Please keep the list to %(max)s items."),
        "too_long": _("“%(item)s” is too long; keep each item under %(max)s characters."),
        "null_characters": _("An item contains a character we cannot store."),
    }

    def __init__(self, *, max_items: int = 50, max_length: int = 200, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)
        self.max_items = max_items
        self.max_length = max_length

    def to_python(self, value: Any) -> list[str]:
        items: list[str] = []
        seen: set[str] = set()
        for raw in value or []:
            item = " ".join(str(raw).split())
            if item and item.casefold() not in seen:
                seen.add(item.casefold())
                items.append(item)
        return items

    def validate(self, value: list[str]) -> None:
        super().validate(value)
        if len(value) > self.max_items:
            raise ValidationError(self.error_messages["too_many"], params={"max": self.max_items})
        for item in value:
            if "\x00" in item:
                raise ValidationError(self.error_messages["null_characters"], code="null")
            if len(item) > self.max_length:
                raise ValidationError(
                    self.error_messages["too_long"],
                    params={"item": item[:40], "max": self.max_length},
                )


class PhoneNumberField(forms.CharField):
    """A phone number a person can dial; cleaned to E.164 (+34612345678)."""

    default_error_messages = {
        "invalid": _(
            "Enter a phone number someone could dial, e.g. +1 202 555 0143 "
            "(start with + and the country code for numbers abroad)."
        ),
    }

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 40)
        super().__init__(**kwargs)

    def widget_attrs(self, widget: forms.Widget) -> dict[str, Any]:
        return {
            **super().widget_attrs(widget),
            "type": "tel",
            "autocomplete": "tel",
            "inputmode": "tel",
        }

    def clean(self, value: Any) -> str:
        import phonenumbers

        value = super().clean(value)
        if not value:
            return value
        try:
            number = phonenumbers.parse(value, settings.PHONE_DEFAULT_REGION)
        except phonenumbers.NumberParseException:
            raise ValidationError(self.error_messages["invalid"], code="invalid") from None
        if not phonenumbers.is_valid_number(number):
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def sane_date(value: dt.date | None) -> bool:
    """A date between 1900 and 2200 (or none): anything else is a typo, and would
    overflow date maths."""
    if isinstance(value, dt.datetime):
        value = value.date()
    return value is None or dt.date(1900, 1, 1) <= value <= dt.date(2200, 12, 31)


class SaneDateField(forms.DateField):
    """A date between 1900 and 2200 (``sane_date``)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("widget", DateInput())
        super().__init__(**kwargs)

    def validate(self, value: Any) -> None:
        super().validate(value)
        if value and not sane_date(value):
            raise ValidationError(_("Please check the year."), code="out_of_range")


class FormTokenField(forms.UUIDField):
    """A one-time token made when the form is shown; it becomes the new record's id."""

    widget = forms.HiddenInput

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(required=False, **kwargs)


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%d", **kwargs)


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%dT%H:%M", **kwargs)


class LocalDateTimeField(forms.DateTimeField):
    """A date and time on the patient's wall clock (``zone``), whatever the
    user's own time zone. A time that happens twice there (clocks going back)
    is its first occurrence; one that does not exist (clocks going forward)
    is refused with a message saying so."""

    widget = DateTimeInput

    def __init__(self, *, zone: dt.tzinfo, **kwargs: Any) -> None:
        kwargs.setdefault(
            "input_formats", ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"]
        )
        super().__init__(**kwargs)
        self.zone = zone

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, dt.datetime) and value.tzinfo is not None:
            return value.astimezone(self.zone).replace(tzinfo=None, second=0, microsecond=0)
        return value

    def to_python(self, value: Any) -> dt.datetime | None:
        from django.utils import timezone

        with timezone.override(dt.UTC):  # parse as a plain wall-clock time first
            parsed = super().to_python(value)
        if parsed is None:
            return None
        wall = parsed.replace(tzinfo=None)
        if not 1900 <= wall.year <= 2200:
            raise ValidationError(_("Please check the year."), code="out_of_range")
        local = wall.replace(tzinfo=self.zone)  # fold=0: the first of a repeated time
        if local.astimezone(dt.UTC).astimezone(self.zone).replace(tzinfo=None) != wall:
            raise ValidationError(
                _(
                    "%(time)s did not happen on %(date)s in %(zone)s: the clocks went "
                    "forward. Enter the time the clock showed."
                ),
                params={
                    "time": wall.strftime("%H:%M"),
                    "date": wall.date().isoformat(),
                    "zone": self.zone,
                },
                code="nonexistent",
            )
        return local.astimezone(dt.UTC)


def after_conflict[F: forms.BaseForm](
    make_form: Callable[[Any], F], data: Any, version: dt.datetime, message: StrOrPromise
) -> F:
    """The form again, bound to what the user typed but now against ``version``
    (someone else's newer save), with ``message`` on top: the next save decides."""
    data = data.copy()
    data["version"] = str(version)
    form = make_form(data)
    form.is_valid()
    form.add_error(None, message)
    return form


def newer_values(
    form: forms.BaseForm,
    saved: Mapping[str, Any],
    *,
    only_changed: bool = True,
    zone: dt.tzinfo | None = None,
) -> str:
    """Someone else's newer save (``saved``, by form field name) as "Label: value; …"
    for the conflict message: the values that differ from what was typed into
    ``form`` (all of them when none differ, or with ``only_changed=False``).
    Times are shown on ``zone``'s clock (the patient's)."""
    typed = getattr(form, "cleaned_data", {})
    shown = {name: value for name, value in saved.items() if name in form.fields}
    if only_changed:
        shown = {name: value for name, value in shown.items() if typed.get(name) != value} or shown
    return "; ".join(
        f"{form.fields[name].label or name}: {_shown(form.fields[name], value, zone)}"
        for name, value in shown.items()
    )


def _shown(field: forms.Field, value: Any, zone: dt.tzinfo | None) -> str:
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, bool):
        return str(_("yes") if value else _("no"))
    if isinstance(value, list | tuple):
        return ", ".join(_shown(field, item, zone) for item in value)
    if isinstance(value, dt.datetime):
        return value.astimezone(zone).strftime("%Y-%m-%d %H:%M")
    if isinstance(value, dt.time):
        return value.strftime("%H:%M")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return f"{value.normalize():f}"
    if isinstance(field, forms.ChoiceField) and not isinstance(field, forms.ModelChoiceField):
        return str(dict(field.choices).get(value, value))  # type: ignore[arg-type]
    return str(getattr(value, "name", None) or value)  # a person by their name


def add_service_error(form: forms.BaseForm, error: ValidationError, **renamed: str) -> None:
    """Put a service's ValidationError on ``form``: model field names are mapped to
    the form's (``renamed``), and those the form lacks go to the whole form, so a
    rule checked on the model never turns into a server error."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for name, messages in error.message_dict.items():
        field = renamed.get(name, name)
        form.add_error(field if field in form.fields else None, messages)
