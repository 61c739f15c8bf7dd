from __future__ import annotations

import pytest
from django import forms
from django.http import QueryDict

from medtrack.forms import PhoneNumberField, TextListField


class ListForm(forms.Form):
    items = TextListField(max_items=3, max_length=10)


def list_form(*values: str) -> ListForm:
    data = QueryDict(mutable=True)
    data.setlist("items", list(values))
    return ListForm(data)


def test_lists_are_trimmed_deduplicated_and_blanks_dropped() -> None:
    form = list_form("  Pollen ", "", "pollen", "Dust   mites")
    assert form.is_valid()
    assert form.cleaned_data["items"] == ["Pollen", "Dust mites"]


def test_lists_have_limits_with_clear_messages() -> None:
    assert "keep the list to 3 items" in str(list_form("a", "b", "c", "d").errors)
    assert "too long" in str(list_form("x" * 11).errors)


def test_a_list_renders_one_input_per_item_plus_a_blank_one() -> None:
    html = str(list_form("Pollen", "Dust")["items"])
    assert html.count('name="items"') == 3
    assert 'value="Pollen"' in html


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("+34 612 345 678", "+34612345678"),
        ("(202) 555-0143", "+12025550143"),  # the default region (US)
        ("+44 20 7946 0958", "+442079460958"),
    ],
)
def test_phone_numbers_are_stored_in_international_form(typed: str, stored: str) -> None:
    assert PhoneNumberField().clean(typed) == stored


@pytest.mark.parametrize("typed", ["call me", "12", "+34 1", "555"])
def test_numbers_nobody_could_dial_are_refused(typed: str) -> None:
    with pytest.raises(forms.ValidationError, match="someone could dial"):
        PhoneNumberField().clean(typed)
