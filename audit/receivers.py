"""Sign-ins and sign-outs go to the access log (Django's auth signals are the hook)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from audit.services import access_log_record


@receiver(user_logged_in, dispatch_uid="audit_login")
def record_login(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    access_log_record(request=request, action="login", actor=user)


@receiver(user_logged_out, dispatch_uid="audit_logout")
def record_logout(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    if user is not None:
        access_log_record(request=request, action="logout", actor=user)


@receiver(user_login_failed, dispatch_uid="audit_login_failed")
def record_login_failed(
    sender: Any, credentials: dict[str, Any], request: Any = None, **kwargs: Any
) -> None:
    email = str(credentials.get("username") or "")[:254]
    access_log_record(request=request, action="login_failed", actor=None, detail={"email": email})
