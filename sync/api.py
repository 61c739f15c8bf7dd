"""The HTTP side of the sync API: token authentication, the rate limit, JSON errors.

A request carries ``Authorization: Bearer <personal token with the sync
scope>``. The token is resolved in system context (nobody is logged in), then
the view runs as the token's user (``acting_as``), so row level security and
the access policy apply exactly as in the browser. Every answer is JSON.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import time
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import RequestDataTooBig
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt

from accounts import tokens
from accounts.models import ApiToken, Scope
from medtrack.rls import acting_as, system_context

MAX_BODY_BYTES = 2 * 1024 * 1024


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.extra = status, code, message, extra


def error_response(status: int, code: str, message: str, **extra: Any) -> JsonResponse:
    response = JsonResponse({"error": {"code": code, "message": message, **extra}}, status=status)
    if status == 401:
        response["WWW-Authenticate"] = 'Bearer realm="medtrack"'
    return response


def _bearer(request: HttpRequest) -> str:
    header = request.headers.get("Authorization", "")
    scheme, _, secret = header.partition(" ")
    return secret.strip() if scheme.lower() == "bearer" else ""


def rate_limited(token: ApiToken, now: dt.datetime) -> int:
    """Count this request against the token's minute; seconds to wait when over, else 0.

    One UPSERT, in system context (the app role cannot see the counts), so
    several app servers share one exact count.
    """
    window = now.replace(second=0, microsecond=0)
    with system_context("rate limit"), connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO api_request_counts (token_id, window_start, count) VALUES (%s, %s, 1)
            ON CONFLICT (token_id, window_start)
            DO UPDATE SET count = api_request_counts.count + 1
            RETURNING count
            """,
            [token.pk, window],
        )
        (count,) = cursor.fetchone()
    if count <= settings.SYNC_RATE_LIMIT_PER_MINUTE:
        return 0
    return max(1, math.ceil((window + dt.timedelta(minutes=1) - now).total_seconds()))


def requests_prune(*, now: dt.datetime) -> int:
    """Forget the counts of minutes that are over (a periodic job)."""
    with system_context("prune API request counts"), connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM api_request_counts WHERE window_start < %s",
            [now - dt.timedelta(minutes=2)],
        )
        return cursor.rowcount


View = Callable[..., HttpResponse]


def token_view(*, methods: tuple[str, ...]) -> Callable[[View], View]:
    """Authenticate by sync token, rate-limit, run as the token's user, answer JSON errors."""
    return lambda view: _token_view(view, methods)


def _token_view(view: View, methods: tuple[str, ...]) -> View:
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.method not in methods:
            response = error_response(
                405, "method_not_allowed", f"Use {' or '.join(methods)} here."
            )
            response["Allow"] = ", ".join(methods)
            return response
        started = time.monotonic()
        now = timezone.now()
        token = tokens.token_resolve(_bearer(request), Scope.SYNC, now)
        if token is None:
            return error_response(
                401, "unauthorized", "Send a valid personal token with the sync scope."
            )
        wait = rate_limited(token, now)
        if wait:
            response = error_response(
                429, "rate_limited", f"Too many requests: try again in {wait} seconds."
            )
            response["Retry-After"] = str(wait)
            return response
        request.user = token.user
        request.api_token = token  # type: ignore[attr-defined]
        request.started = started  # type: ignore[attr-defined]
        try:
            with acting_as(token.user_id):
                return view(request, *args, **kwargs)
        except ApiError as error:
            return error_response(error.status, error.code, error.message, **error.extra)

    wrapper.token_authenticated = True  # type: ignore[attr-defined]
    return csrf_exempt(login_not_required(never_cache(wrapper)))


def json_body(request: HttpRequest) -> dict[str, Any]:
    if request.content_type != "application/json":
        raise ApiError(
            415, "unsupported_media_type", "Send JSON (Content-Type: application/json)."
        )
    try:
        raw = request.body
    except RequestDataTooBig:
        raw = b"x" * (MAX_BODY_BYTES + 1)
    if len(raw) > MAX_BODY_BYTES:
        raise ApiError(413, "too_large", "The request is too large: send fewer changes at once.")
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise ApiError(400, "invalid_json", "The request body is not valid JSON.") from None
    if not isinstance(body, dict):
        raise ApiError(400, "invalid", "Send a JSON object.")
    return body


def client_id(value: Any) -> str:
    if value is None:
        return ""
    if not isinstance(value, str) or len(value) > 100 or "\x00" in value:
        raise ApiError(400, "invalid", "client_id is a text of at most 100 characters.")
    return value.strip()


def elapsed_ms(request: HttpRequest) -> int:
    return int((time.monotonic() - request.started) * 1000)  # type: ignore[attr-defined]
