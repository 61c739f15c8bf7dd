"""Session limits: signed out after ``SESSION_IDLE_MINUTES`` without activity and
``SESSION_MAX_HOURS`` after signing in, whatever happens in between.

The clock is kept in the session (on the server): when it signed in and when
it was last used. A request past either limit ends the session (the same
logout as the button: the row is deleted) and goes to the login page, which
says why. A form sent after the limit is not lost: what was typed becomes a
:class:`~accounts.models.FormDraft` of its page, and that page is filled from
it once its owner is signed in again. Pages tell the browser how long the
session has left (``static/js/session.js`` warns two minutes before and saves
the form being typed as a draft just before the end).
"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import logout
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import resolve_url
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from accounts.models import FormDraft, User
from medtrack import rls

STARTED = "_session_started"
SEEN = "_session_seen"
#: Pages of this session that have a draft waiting (set at login, so other
#: pages never query for one).
DRAFTS = "_session_drafts"
#: The last use is written at most this often (each write is a session save).
TOUCH_EVERY_SECONDS = 60
#: Never kept in a draft.
_NEVER_KEPT = ("csrfmiddlewaretoken", "password", "form_token", "next")
_MAX_DRAFT_BYTES = 64 * 1024


def idle_seconds() -> int:
    return settings.SESSION_IDLE_MINUTES * 60


def max_seconds() -> int:
    return settings.SESSION_MAX_HOURS * 3600


def _left(request: HttpRequest, now: float) -> tuple[int, int]:
    """Seconds this session has left by the idle limit and by the absolute one."""
    session = request.session
    started, seen = session.get(STARTED, now), session.get(SEEN, now)
    return round(seen + idle_seconds() - now), round(started + max_seconds() - now)


def status(request: HttpRequest) -> tuple[int, bool]:
    """Seconds until this session ends, and whether "Stay signed in" can help
    (only while the idle limit is the nearer one)."""
    by_idle, by_max = _left(request, time.time())
    return max(0, min(by_idle, by_max)), by_idle < by_max


def _ended(request: HttpRequest, now: float) -> str:
    """Why this session is over ("idle" or "max"), or ""."""
    session = request.session
    if STARTED in session and now - session[STARTED] > max_seconds():
        return "max"
    if SEEN in session and now - session[SEEN] > idle_seconds():
        return "idle"
    return ""


def _touch(request: HttpRequest, now: float, *, force: bool = False) -> None:
    session = request.session
    session.setdefault(STARTED, now)
    if force or now - session.get(SEEN, 0) >= TOUCH_EVERY_SECONDS:
        # (The row itself lives until the absolute limit, SESSION_COOKIE_AGE, so
        # that a form sent hours after the idle limit can still become a draft.)
        session[SEEN] = now


def _typed(data: Any) -> dict[str, list[str]]:
    """The fields of a submitted form worth keeping: no secrets, no tokens."""
    kept = {
        name: data.getlist(name) for name in data if not any(word in name for word in _NEVER_KEPT)
    }
    return kept if len(json.dumps(kept)) <= _MAX_DRAFT_BYTES else {}


def draft_save(*, user_id: Any, path: str, data: dict[str, list[str]]) -> None:
    with rls.acting_as(user_id):
        FormDraft.objects.update_or_create(user_id=user_id, path=path, defaults={"data": data})


class SessionLimitsMiddleware:
    """Ends sessions past their limits; counts every other request as activity."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.user.is_authenticated:
            return self.get_response(request)
        now = time.time()
        reason = _ended(request, now)
        if reason:
            return self._end(request, reason)
        keepalive = request.path == reverse("accounts:session_keepalive")
        if request.path != reverse("accounts:session_draft"):
            _touch(request, now, force=keepalive)
        return self.get_response(request)

    def _end(self, request: HttpRequest, reason: str) -> HttpResponse:
        user_id = request.user.pk
        page = request.path
        if request.method == "POST" and page not in _not_drafted():
            typed = _typed(request.POST)
            if typed:
                draft_save(user_id=user_id, path=page, data=typed)
        logout(request)
        query = {"ended": reason}
        if not page.startswith("/accounts/session/"):
            query["next"] = page
        target = f"{resolve_url(settings.LOGIN_URL)}?{urlencode(query)}"
        if request.headers.get("HX-Request") == "true":
            response = HttpResponse(status=204)
            response["HX-Redirect"] = target
            return response
        if request.headers.get("Accept", "").startswith("application/json"):
            return JsonResponse({"ended": reason, "login": target}, status=401)
        return HttpResponseRedirect(target)


def _not_drafted() -> set[str]:
    return {reverse("accounts:logout"), reverse("accounts:session_keepalive")}


@receiver(user_logged_in, dispatch_uid="session_limits_start")
def _start(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    """A new session's clock starts, and it learns which pages have drafts waiting."""
    if request is None or not hasattr(request, "session"):
        return
    now = time.time()
    request.session[STARTED] = now
    _touch(request, now, force=True)
    kept = timezone.now() - dt.timedelta(days=settings.FORM_DRAFT_KEEP_DAYS)
    with rls.acting_as(user.pk):
        paths = list(
            FormDraft.objects.filter(user=user, created_at__gte=kept).values_list(
                "path", flat=True
            )
        )
    if paths:
        request.session[DRAFTS] = paths


def draft_for(request: HttpRequest, user: User) -> dict[str, list[str]] | None:
    """The draft waiting for this page, taken (it fills the form once)."""
    waiting = request.session.get(DRAFTS) or []
    if request.method != "GET" or request.path not in waiting:
        return None
    request.session[DRAFTS] = [path for path in waiting if path != request.path]
    draft = FormDraft.objects.filter(user=user, path=request.path).first()
    if draft is None:
        return None
    draft.delete()
    return draft.data


def context(request: HttpRequest) -> dict[str, Any]:
    """For base.html: how long the session has left, and a draft to restore."""
    user = getattr(request, "user", None)
    if not isinstance(user, User):
        return {}
    left, renewable = status(request)
    return {
        "session_remaining": left,
        "session_renewable": renewable,
        "session_warning_seconds": settings.SESSION_IDLE_WARNING_SECONDS,
        "session_idle_minutes": settings.SESSION_IDLE_MINUTES,
        "form_draft": json.dumps(draft) if (draft := draft_for(request, user)) else "",
    }


@require_POST
def keepalive(request: HttpRequest) -> JsonResponse:
    """ "Stay signed in": the middleware has counted this request as activity."""
    left, renewable = status(request)
    return JsonResponse({"remaining": left, "renewable": renewable})


@require_POST
def draft(request: HttpRequest) -> JsonResponse:
    """The browser saves the form being typed just before the session ends."""
    path = request.POST.get("path", "")
    if not path.startswith("/") or path.startswith("//") or len(path) > 500:
        return JsonResponse({"saved": False}, status=400)
    typed = {k: v for k, v in _typed(request.POST).items() if k != "path"}
    if typed:
        draft_save(user_id=request.user.pk, path=path, data=typed)
    return JsonResponse({"saved": bool(typed)})


def drafts_prune(*, now: dt.datetime, dry_run: bool = False) -> int:
    """Drafts nobody came back for are deleted after ``FORM_DRAFT_KEEP_DAYS``.

    In system context: the drafts are personal rows under row level security,
    which the job runner (signed in as nobody) would otherwise not see.
    """
    kept = now - dt.timedelta(days=settings.FORM_DRAFT_KEEP_DAYS)
    with rls.system_context("prune form drafts"):
        due = FormDraft.objects.filter(created_at__lt=kept)
        if dry_run:
            return due.count()
        deleted, _by_model = due.delete()
    return deleted
