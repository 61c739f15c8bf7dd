"""``/healthz``: is this app host able to serve? For load balancers and monitors.

It answers 200 ``{"status": "ok", "database": "ok", "storage": "ok"}`` or 503
naming the part that failed (the reason goes to the log, never to the
response). Why it looks the way it does:

1. It is answered by :class:`HealthCheckMiddleware`, ahead of sessions,
   authentication, the session limits and the request transaction: those all
   need the database, so with the database down they would turn the probe into
   a 500 page instead of a 503 that says "database". No session is read or
   made, nothing is written to the access log.
2. The database check is ``SELECT 1`` as the app's own login role: it proves
   the connection and the credentials and reads no patient data.
3. The storage check writes and deletes a tiny object under ``healthz/`` in
   the files storage: a local directory that became read-only, or an S3
   bucket that is gone or whose credentials were revoked, fails it, which an
   ``exists()`` would not show.
4. It is never cached and answers whatever the Host header says (load
   balancers probe by address); it builds no URL from it.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable

from django.contrib.auth.decorators import login_not_required
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import DatabaseError, connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

logger = logging.getLogger(__name__)

PATH = "/healthz"
OK, FAILED = "ok", "error"


def database_status() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        logger.exception("Health check: the database did not answer")
        return FAILED
    return OK


def storage_status() -> str:
    try:
        name = default_storage.save(f"healthz/{uuid.uuid4().hex}.txt", ContentFile(b"ok"))
        default_storage.delete(name)
    # Any backend's failure (OSError on disk, botocore's errors for S3) means "not ok".
    except Exception:
        logger.exception("Health check: the file storage is not writable")
        return FAILED
    return OK


@login_not_required
@never_cache
@require_safe
def healthz(request: HttpRequest) -> HttpResponse:
    checks = {"database": database_status(), "storage": storage_status()}
    healthy = all(result == OK for result in checks.values())
    return JsonResponse(
        {"status": OK if healthy else FAILED, **checks}, status=200 if healthy else 503
    )


class HealthCheckMiddleware:
    """Answers ``/healthz`` before anything that needs a session or the database."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path_info == PATH:
            return healthz(request)
        return self.get_response(request)
