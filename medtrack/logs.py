"""Structured logs: one JSON object a line on stdout, one line per request.

Every record made while a request is being answered carries that request's
id (the ``X-Request-ID`` echoed to the client and written to pghistory's
context and the access log) and, once authentication has run, the user's id
— never an e-mail address or a name. ``LOG_FORMAT=text`` (the development
default) writes the same records as plain lines.

This module imports nothing from Django at the top, so ``gunicorn.conf.py``
can use the formatter for gunicorn's own messages in the master process.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import json
import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from django.http import HttpRequest, HttpResponse

#: The request being answered in this thread (or task): request_id, user_id.
_request: contextvars.ContextVar[dict[str, str] | None] = contextvars.ContextVar(
    "medtrack_request", default=None
)
#: Attributes every LogRecord has; anything else on a record came as ``extra``.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}
#: ``extra`` values never written: django.request's request object (its repr is
#: the full path, which may hold a secret token).
_NEVER_WRITTEN = {"request"}
#: URL parameters that are, or are part of, a secret.
_SECRET_PARAMETERS = ("token", "secret", "uidb64")
#: The fields the filter adds; written only when they are set.
_CONTEXT_FIELDS = ("request_id", "user_id")


def bind(**fields: str) -> None:
    """Add fields (``user_id``) to the current request's log context."""
    context = _request.get()
    if context is not None:
        context.update(fields)


class RequestContextFilter(logging.Filter):
    """Puts the current request's id and user id on every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        context = _request.get() or {}
        for field in _CONTEXT_FIELDS:
            if not getattr(record, field, ""):
                setattr(record, field, context.get(field, ""))
        request = getattr(record, "request", None)
        if request is not None and isinstance(record.args, tuple):
            # django.request's "Not Found: <path>" would write a feed's secret.
            path, logged = getattr(request, "path", None), logged_path(request)
            record.args = tuple(logged if arg == path else arg for arg in record.args)
        return True


class JsonFormatter(logging.Formatter):
    """A record as one JSON object: timestamp (UTC), level, logger, message,
    the request context and whatever came as ``extra``."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "timestamp": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key in _STANDARD or key in _NEVER_WRITTEN or key.startswith("_"):
                continue
            if key in _CONTEXT_FIELDS and not value:
                continue
            entry[key] = value
        if record.exc_info:
            entry["exc_info"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack_info"] = self.formatStack(record.stack_info)
        return json.dumps(entry, default=str)


def logged_path(request: HttpRequest) -> str:
    """The path, except that a URL whose parameters are secrets (the calendar
    feed's token, a reset link, an invitation) is logged as its pattern."""
    match = request.resolver_match
    if match and any(word in name for name in match.kwargs for word in _SECRET_PARAMETERS):
        return "/" + match.route
    return request.path


def _signed_in_id(request: HttpRequest) -> str:
    """The user's id if authentication has already looked them up (a login
    during the request included); never a query of its own."""
    from django.utils.functional import empty

    user = getattr(request, "user", None)
    user = getattr(user, "_wrapped", user)  # a lazy user that was never used stays unused
    if user is None or user is empty or not user.is_authenticated:
        return ""
    return str(user.pk)


class RequestLogMiddleware:
    """Outermost: gives the request its id and writes one line when it is answered.

    The line (logger ``medtrack.request``) has the method, path, status, duration
    and view; the filter adds request_id and user_id. Health probes that pass
    are logged at DEBUG, so a load balancer's polling does not fill the logs.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.logger = logging.getLogger("medtrack.request")

    def __call__(self, request: HttpRequest) -> HttpResponse:
        from medtrack.middleware import request_id_for

        request.request_id = request_id_for(request)  # type: ignore[attr-defined]
        token = _request.set({"request_id": request.request_id})  # type: ignore[attr-defined]
        started = time.monotonic()
        try:
            response = self.get_response(request)
            response["X-Request-ID"] = request.request_id  # type: ignore[attr-defined]
            duration_ms = round((time.monotonic() - started) * 1000, 1)
            match = request.resolver_match
            probe = request.path_info == "/healthz" and response.status_code == 200
            self.logger.log(
                logging.DEBUG if probe else logging.INFO,
                "%s %s %s",
                request.method,
                logged_path(request),
                response.status_code,
                extra={
                    "method": request.method,
                    "path": logged_path(request),
                    "status": response.status_code,
                    "duration_ms": duration_ms,
                    "view": match.view_name if match else "",
                    "user_id": _signed_in_id(request),
                },
            )
            return response
        finally:
            _request.reset(token)
