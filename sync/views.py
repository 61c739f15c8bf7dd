"""The sync API's endpoints (``/api/v1/…``): pull, push and the OpenAPI document."""

from __future__ import annotations

import re

from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.views.decorators.http import require_GET

from sync import pull, push, services
from sync.api import ApiError, client_id, elapsed_ms, json_body, token_view
from sync.models import Direction
from sync.openapi import document


@token_view(methods=("GET",))
def changes(request: HttpRequest) -> HttpResponse:
    """GET /api/v1/sync/changes?cursor=…&limit=…"""
    raw_cursor = request.GET.get("cursor", "")
    try:
        cursor = pull.Cursor.decode(raw_cursor, user=request.user)
    except pull.BadCursor:
        raise ApiError(
            400, "invalid_cursor", "This cursor was not made by MedTrack: start again without one."
        ) from None
    limit_text = request.GET.get("limit", str(pull.DEFAULT_LIMIT))
    if not re.fullmatch(r"[0-9]{1,4}", limit_text) or not 1 <= int(limit_text) <= pull.MAX_LIMIT:
        raise ApiError(400, "invalid", f"limit is a whole number from 1 to {pull.MAX_LIMIT}.")
    device = client_id(request.GET.get("client_id"))
    page = pull.changes_page(user=request.user, cursor=cursor, limit=int(limit_text))  # type: ignore[arg-type]
    encoded = page.cursor.encode(user=request.user)
    services.access_record(
        request=request,
        what="sync_pull",
        patient_ids=page.patient_ids,
        detail={"client_id": device, "changes": len(page.changes)},
    )
    services.sync_log_record(
        user=request.user,  # type: ignore[arg-type]
        token=request.api_token,  # type: ignore[attr-defined]
        client_id=device,
        direction=Direction.PULL,
        cursor_from=raw_cursor,
        cursor_to=encoded,
        items=len(page.changes),
        duration_ms=elapsed_ms(request),
    )
    return JsonResponse(
        {
            "changes": page.changes,
            "cursor": encoded,
            "has_more": page.has_more,
            "server_time": timezone.now().isoformat(),
        }
    )


@token_view(methods=("POST",))
def push_changes(request: HttpRequest) -> HttpResponse:
    """POST /api/v1/sync/push"""
    body = json_body(request)
    device = client_id(body.get("client_id"))
    items = body.get("changes")
    if not isinstance(items, list):
        raise ApiError(400, "invalid", "changes is a list of changes.")
    if len(items) > push.MAX_ITEMS:
        raise ApiError(413, "too_large", f"Send at most {push.MAX_ITEMS} changes at once.")
    results = push.push(user=request.user, items=items)  # type: ignore[arg-type]
    counts = {
        status: sum(1 for result in results if result.status == status)
        for status in ("applied", "unchanged", "conflict", "error")
    }
    services.access_record(
        request=request,
        what="sync_push",
        patient_ids={result.patient_id for result in results if result.patient_id},
        detail={"client_id": device, **counts},
    )
    services.sync_log_record(
        user=request.user,  # type: ignore[arg-type]
        token=request.api_token,  # type: ignore[attr-defined]
        client_id=device,
        direction=Direction.PUSH,
        items=len(results),
        applied=counts["applied"],
        conflicts=counts["conflict"],
        errors=[
            {
                "id": result.id,
                "entity": result.entity,
                "code": result.error,
                "message": result.message,
            }
            for result in results
            if result.status == "error"
        ],
        duration_ms=elapsed_ms(request),
    )
    return JsonResponse({"results": [result.as_json() for result in results], **counts})


@require_GET
@login_not_required
def openapi(request: HttpRequest) -> HttpResponse:
    """The OpenAPI 3 document, built from the same entity list the API serves."""
    return JsonResponse(document(request.build_absolute_uri("/")), json_dumps_params={"indent": 1})
