"""Settings → Apps that sync: personal sync tokens, and what each device synced."""

from __future__ import annotations

import uuid

from django.db.models import Max
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from accounts.models import ApiToken, Scope
from accounts.token_pages import token_form, token_revoke
from medtrack.types import AuthenticatedHttpRequest
from sync.models import SyncLog

RECENT = 20


@never_cache  # the page that shows a secret stays out of every cache
@require_http_methods(["GET", "POST"])
def devices(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Make a sync token (its secret shown in this response only), see each one's
    last sync and the recent syncs, revoke."""
    form, _token, new_secret = token_form(
        request,
        scope=Scope.SYNC,
        help_text=_("The app or device that will use it, for example “Ana's phone”."),
        made=_("Token “%(name)s” made."),
    )
    context = {
        "form": form,
        "new_secret": new_secret,
        "server": request.build_absolute_uri("/").rstrip("/"),
        "openapi_url": request.build_absolute_uri(reverse("sync:openapi")),
        "tokens": ApiToken.objects.filter(user=request.user, scopes__contains=[Scope.SYNC])
        .annotate(last_sync_at=Max("sync_logs__created_at"))
        .order_by("revoked_at", "-created_at"),
        "syncs": SyncLog.objects.filter(user=request.user)
        .select_related("token")
        .order_by("-created_at")[:RECENT],
    }
    return render(request, "sync/devices.html", context)


@require_POST
def device_revoke(request: AuthenticatedHttpRequest, token_id: uuid.UUID) -> HttpResponse:
    return token_revoke(
        request,
        token_id,
        done=_("Revoked: that app can no longer sync, from now on."),
        already=_("That token was already revoked."),
        to="sync:devices",
    )
