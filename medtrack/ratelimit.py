"""Rate limits for the forms that send e-mail or make accounts (password reset,
signup, invitations), counted in the database cache so every app host shares them.

A limit is a number of attempts per window for one key (the client's address,
the e-mail asked about, the person inviting). Keys are hashed before they
become cache keys: the cache table never holds an address or an e-mail.
Counting uses the cache's ``add`` then ``incr``: two hosts racing on the same
key may each let one extra attempt through, which a limit of this kind tolerates.
"""

from __future__ import annotations

import hashlib
import math
import time
from dataclasses import dataclass

from django import forms
from django.core.cache import cache
from django.utils.translation import ngettext

from medtrack.net import client_address

__all__ = ["Limit", "client_address", "hit", "hit_all", "refuse"]  # and the limits below


@dataclass(frozen=True)
class Limit:
    name: str
    attempts: int
    window_seconds: int


#: Generous for a family, tight for a script.
SIGNUP = Limit("signup", attempts=10, window_seconds=3600)
PASSWORD_RESET_BY_ADDRESS = Limit("reset-ip", attempts=10, window_seconds=3600)
PASSWORD_RESET_BY_EMAIL = Limit("reset-email", attempts=3, window_seconds=3600)
INVITATIONS = Limit("invite", attempts=20, window_seconds=3600)
INVITATION_LINKS = Limit("invitation-link", attempts=60, window_seconds=3600)


def hit(limit: Limit, key: str, *, now: float | None = None) -> int:
    """Count one attempt; the seconds to wait if it is over the limit, else 0."""
    now = time.time() if now is None else now
    window = int(now // limit.window_seconds)
    digest = hashlib.sha256(f"{limit.name}:{key}".encode()).hexdigest()[:32]
    cache_key = f"ratelimit:{limit.name}:{digest}:{window}"
    cache.add(cache_key, 0, timeout=limit.window_seconds + 60)
    try:
        count = cache.incr(cache_key)
    except ValueError:  # expired between add and incr
        cache.set(cache_key, 1, timeout=limit.window_seconds + 60)
        count = 1
    if count <= limit.attempts:
        return 0
    return max(1, math.ceil((window + 1) * limit.window_seconds - now))


def hit_all(*checks: tuple[Limit, str]) -> int:
    """Count the attempt against every (limit, key); the longest wait, or 0."""
    return max((hit(limit, key) for limit, key in checks if key), default=0)


def refuse(form: forms.BaseForm, wait_seconds: int) -> None:
    """Say on the form (which keeps what was typed) how long to wait."""
    minutes = max(1, math.ceil(wait_seconds / 60))
    form.add_error(
        None,
        ngettext(
            "Too many attempts from here. Please wait %(minutes)s minute and try again.",
            "Too many attempts from here. Please wait %(minutes)s minutes and try again.",
            minutes,
        )
        % {"minutes": minutes},
    )
