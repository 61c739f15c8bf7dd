"""Writes to the access log. Each is one INSERT the app role may make but never read back."""

from __future__ import annotations

import uuid
from typing import Any

from django.http import HttpRequest

from audit.models import AccessLog


def _client_ip(request: HttpRequest) -> str | None:
    # REMOTE_ADDR is the proxy's address behind a load balancer; the
    # operations issue configures trusted proxies. Never trust the header blindly.
    return request.META.get("REMOTE_ADDR") or None


def access_log_record(
    *,
    request: HttpRequest | None,
    action: str,
    actor: Any = None,
    patient_id: uuid.UUID | None = None,
    object_type: str = "",
    object_id: str = "",
    detail: dict[str, Any] | None = None,
) -> None:
    if actor is None and request is not None and request.user.is_authenticated:
        actor = request.user
    AccessLog.objects.create(
        actor=actor,
        action=action,
        patient_id=patient_id,
        object_type=object_type,
        object_id=str(object_id),
        path=request.path[:500] if request else "",
        ip_address=_client_ip(request) if request else None,
        user_agent=request.headers.get("User-Agent", "")[:500] if request else "",
        request_id=getattr(request, "request_id", "") if request else "",
        detail=detail or {},
    )
