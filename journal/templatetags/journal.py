"""``{{ entry.mood|scale:"mood" }}`` → "Good (4/5)"."""

from __future__ import annotations

from django import template

from journal.forms import SCALES

register = template.Library()


@register.filter
def scale(value: int | None, name: str) -> str:
    if value is None:
        return ""
    words = SCALES.get(name, [])
    return f"{words[value - 1]} ({value}/5)" if 1 <= value <= len(words) else f"{value}/5"
