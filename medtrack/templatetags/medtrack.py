"""Template filters shared by several apps."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django import template
from django.utils.formats import number_format

register = template.Library()


@register.filter
def amount(value: object) -> str:
    """A dose amount as people write it: 2, 0.5, 1.25 (no trailing zeros), localised."""
    if value in (None, ""):
        return ""
    try:
        number = Decimal(str(value)).normalize()
    except InvalidOperation:
        return str(value)
    places = max(0, -number.as_tuple().exponent)  # type: ignore[operator]
    return number_format(number, decimal_pos=places)


@register.filter
def ago(value: object) -> str:
    """How long ago, coarsely: "2 hours ago", "3 days ago", "just now"."""
    import datetime as dt

    from django.utils import timezone
    from django.utils.timesince import timesince
    from django.utils.translation import gettext as _

    if not isinstance(value, dt.datetime):
        return ""
    if timezone.now() - value < dt.timedelta(minutes=1):
        return _("just now")
    return _("%(time)s ago") % {"time": timesince(value, depth=1)}


@register.simple_tag(takes_context=True)
def local_time(
    context: dict[str, object], value: object, zone_name: str, format: str = "D j M Y, H:i"
) -> str:
    """``value`` on a patient's clock; their zone is named when it is not the
    viewer's own, so a time is never ambiguous ("Tue 3 Mar 2026, 10:30 CET")."""
    import datetime as dt
    from zoneinfo import ZoneInfo

    from django.utils.dateformat import format as date_format
    from django.utils.html import format_html

    if not isinstance(value, dt.datetime):
        return ""
    zone = ZoneInfo(zone_name)
    local = value.astimezone(zone)
    text = date_format(local, format)
    request = context.get("request")
    user = getattr(request, "user", None)
    viewer = getattr(getattr(user, "settings", None), "timezone", zone_name)
    if viewer == zone_name:
        return text
    return format_html('{} <abbr title="{}">{}</abbr>', text, zone_name, local.tzname())
