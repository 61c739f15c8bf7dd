"""Writes of the sync API: the sync log and the access log of each request."""

from __future__ import annotations

import uuid
from typing import Any

from django.http import HttpRequest

from accounts.models import ApiToken, User
from audit import services as audit
from sync.models import Outcome, SyncLog


def sync_log_record(
    *,
    user: User,
    token: ApiToken,
    client_id: str,
    direction: str,
    cursor_from: str = "",
    cursor_to: str = "",
    items: int = 0,
    applied: int = 0,
    conflicts: int = 0,
    errors: list[dict[str, Any]] | None = None,
    duration_ms: int = 0,
) -> SyncLog:
    """One row per pull or push, as the user (their own rows only, by row level security)."""
    errors = errors or []
    status = Outcome.OK
    if errors or conflicts:
        status = Outcome.PARTIAL if applied or items > len(errors) else Outcome.FAILED
    return SyncLog.objects.create(
        user=user,
        token=token,
        client_id=client_id,
        direction=direction,
        cursor_from=cursor_from[:2000],
        cursor_to=cursor_to[:2000],
        items=items,
        applied=applied,
        conflicts=conflicts,
        errors_count=len(errors),
        errors=errors[:50],
        duration_ms=duration_ms,
        status=status,
    )


def access_record(
    *, request: HttpRequest, what: str, patient_ids: set[uuid.UUID], detail: dict[str, Any]
) -> None:
    """The access log: one row per patient whose record the request read or changed
    (each shows on that patient's Activity page), or one row when there was none."""
    token: ApiToken = request.api_token  # type: ignore[attr-defined]
    detail = {**detail, "token": token.name}
    targets: list[uuid.UUID | None] = [*sorted(patient_ids)] or [None]
    for patient_id in targets:
        audit.access_log_record(
            request=request,
            action="view",
            patient_id=patient_id,
            object_type=what,
            object_id=str(token.pk),
            detail=detail,
        )


def sync_logs_forget(*, user: User) -> int:
    """Delete ``user``'s sync log (their devices' names and sync times): the account
    is being deleted (accounts.leaving). The access log keeps what each sync touched."""
    deleted, _counts = SyncLog.objects.filter(user=user).delete()
    return deleted
