"""Sign-in lockouts (django-axes) and rate limits on the public forms.

django-axes counts failed logins per account and per address in its own
table; after ``AXES_FAILURE_LIMIT`` failures it refuses further attempts for
``AXES_COOLOFF_TIME``, and :func:`lockout_response` says when to try again.
"""

from __future__ import annotations

from typing import Any

from axes.signals import user_locked_out
from django.conf import settings
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone


def username(request: HttpRequest, credentials: dict[str, Any] | None) -> str | None:
    """The account an attempt is for: the login form's e-mail, normalised as stored."""
    typed = (credentials or {}).get("username") or request.POST.get("username")
    return str(typed).strip().lower() if typed else None


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


@receiver(user_locked_out, dispatch_uid="audit_locked_out")
def record_lockout(sender: Any, request: HttpRequest, username: str | None, **kwargs: Any) -> None:
    """A lockout (and each attempt refused during one) is a failed login in the access log."""
    from audit.services import access_log_record

    access_log_record(
        request=request,
        action="login_failed",
        actor=None,
        detail={"email": (username or "")[:254], "locked_out": True},
    )
