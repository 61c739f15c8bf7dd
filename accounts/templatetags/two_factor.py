"""``{% two_factor_status user as two_step %}``: the Settings section reads its own state."""

from __future__ import annotations

from django import template

from accounts import two_factor
from accounts.models import User

register = template.Library()


@register.simple_tag
def two_factor_status(user: User) -> two_factor.Status:
    return two_factor.status(user)
