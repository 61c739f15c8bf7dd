"""The per-request database context: one transaction, the acting user, history context."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable

import pghistory.middleware
from django.conf import settings
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.utils import translation

from medtrack import logs, rls

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


def request_id_for(request: HttpRequest) -> str:
    """The load balancer's X-Request-ID when it looks sane, else a new one."""
    given = request.headers.get("X-Request-ID", "")
    return given if _REQUEST_ID.match(given) else uuid.uuid4().hex


def verified(user: object) -> bool:
    """The session proved a two-step code (``is_verified`` is django-otp's)."""
    check = getattr(user, "is_verified", None)
    return bool(check is not None and check())


class DatabaseContextMiddleware:
    """Wrap the whole response (template rendering included) in one transaction.

    Inside it, ``app.user_id`` names the signed-in user for the row level
    security policies. Staff working in the admin run in system context
    instead (the owner role), and that use is itself logged. A response of
    500 or more rolls the transaction back: nothing half-done is kept.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.admin_prefix = "/admin/"

    def __call__(self, request: HttpRequest) -> HttpResponse:
        # Usually given by medtrack.logs.RequestLogMiddleware, which logs it too.
        if not getattr(request, "request_id", ""):
            request.request_id = request_id_for(request)  # type: ignore[attr-defined]
        user = request.user
        if user.is_authenticated:
            logs.bind(user_id=str(user.pk))
        with rls.acting_as(user.pk if user.is_authenticated else None):
            if (
                user.is_authenticated
                and user.is_staff
                and request.path.startswith(self.admin_prefix)
                # Only a session that proved a two-step code (the admin refuses others).
                and verified(user)
            ):
                response = self._as_staff(request)
            else:
                response = self.get_response(request)
            if response.status_code >= 500:
                transaction.set_rollback(True)
        response["X-Request-ID"] = request.request_id  # type: ignore[attr-defined]
        return response

    def _as_staff(self, request: HttpRequest) -> HttpResponse:
        from audit import services as audit

        with rls.system_context(f"admin:{request.user.pk}"):
            audit.access_log_record(request=request, action="admin", object_type="admin")
            return self.get_response(request)


class PermissionsPolicyMiddleware:
    """``Permissions-Policy`` on every response (Django has no setting for it)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.setdefault("Permissions-Policy", settings.PERMISSIONS_POLICY)
        return response


class HistoryContextMiddleware(pghistory.middleware.HistoryMiddleware):
    """Attach the acting user, path and request id to every history row."""

    def get_context(self, request: HttpRequest) -> dict[str, object]:
        return {**super().get_context(request), "request_id": getattr(request, "request_id", "")}


class UserLanguageMiddleware:
    """A signed-in user's pages are in the language of their settings
    (``user_settings.language``); before sign-in, and for anyone without
    settings, ``LocaleMiddleware`` goes by the language cookie, then
    ``Accept-Language``. Needs the user's settings loaded with the user
    (``accounts.backends.ModelBackend``): no query of its own."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        preferences = (
            getattr(request.user, "settings", None) if request.user.is_authenticated else None
        )
        language = getattr(preferences, "language", "")
        if language and translation.check_for_language(language):
            translation.activate(language)
            request.LANGUAGE_CODE = language
        return self.get_response(request)
