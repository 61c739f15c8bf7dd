"""``{{ 1440|before_text }}`` → "1 day before"."""

from __future__ import annotations

from django import template
from django.utils.translation import ngettext

from appointments.models import REMINDER_CHOICES

register = template.Library()


@register.filter
def before_text(minutes: int) -> str:
    named = dict(REMINDER_CHOICES)
    if minutes in named:
        return str(named[minutes])
    if minutes % 1440 == 0:
        days = minutes // 1440
        return ngettext("%(n)s day before", "%(n)s days before", days) % {"n": days}
    if minutes % 60 == 0:
        hours = minutes // 60
        return ngettext("%(n)s hour before", "%(n)s hours before", hours) % {"n": hours}
    return ngettext("%(n)s minute before", "%(n)s minutes before", minutes) % {"n": minutes}
