"""Sign-in lockouts (django-axes) and rate limits on the public forms.

django-axes counts failed logins per account and per address in its own
table; after ``AXES_FAILURE_LIMIT`` failures it refuses further attempts for
``AXES_COOLOFF_TIME``, and :func:`lockout_response` says when to try again.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone


def lockout_response(
    request: HttpRequest,
    original_response: HttpResponse | None,
    credentials: dict[str, Any] | None,
) -> HttpResponse:
    """The page a locked-out visitor sees: why, and when they may try again (429)."""
    retry_at = timezone.now() + settings.AXES_COOLOFF_TIME
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    response = render(
        request,
        "accounts/locked_out.html",
        {"retry_at": retry_at, "minutes": minutes},
        status=429,
    )
    response["Retry-After"] = str(int(settings.AXES_COOLOFF_TIME.total_seconds()))
    return response
