from __future__ import annotations

import uuid

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from medtrack import keyset
from medtrack.types import AuthenticatedHttpRequest
from notifications import services
from notifications.forms import PreferencesForm
from notifications.models import DEFAULT_PREFERENCES, Notification, NotificationPreferences

PAGE = 30


@require_GET
def inbox(request: AuthenticatedHttpRequest) -> HttpResponse:
    """My notifications, newest first, a page at a time (one query)."""
    page = keyset.page(
        Notification.objects.filter(user=request.user),
        field="created_at",
        cursor=request.GET.get("before"),
        size=PAGE,
    )
    return render(request, "notifications/inbox.html", {"page": page})


@require_POST
def open_one(request: AuthenticatedHttpRequest, notification_id: uuid.UUID) -> HttpResponse:
    """Mark it read and go to what it is about."""
    return _open(request, notification_id)


@require_GET
def go(request: AuthenticatedHttpRequest, notification_id: uuid.UUID) -> HttpResponse:
    """The link in an e-mail: the same, after signing in. Someone else's id leads
    to the inbox."""
    return _open(request, notification_id)


def _open(request: AuthenticatedHttpRequest, notification_id: uuid.UUID) -> HttpResponse:
    services.mark_read(user=request.user, notification_id=notification_id)
    target = (
        Notification.objects.filter(pk=notification_id, user=request.user)
        .values_list("url", flat=True)
        .first()
    )
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts=None):
        return redirect(target)
    return redirect("notifications:inbox")


@require_POST
def read_all(request: AuthenticatedHttpRequest) -> HttpResponse:
    services.mark_read(user=request.user)
    return redirect("notifications:inbox")


@require_http_methods(["GET", "POST"])
def preferences(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Which types come in the app and by e-mail, and quiet hours for e-mail."""
    current = (
        NotificationPreferences.objects.filter(user=request.user).first() or DEFAULT_PREFERENCES
    )
    form = PreferencesForm(request.POST or None, preferences=current)
    if request.method == "POST" and form.is_valid():
        services.preferences_save(
            user=request.user,
            email_enabled=form.cleaned_data["email_enabled"],
            channels=form.channels(),
            quiet_hours=form.quiet_hours,
        )
        messages.success(request, _("Your notification choices were saved."))
        return redirect("notifications:preferences")
    zone = services.user_zone(request.user)
    return render(request, "notifications/preferences.html", {"form": form, "zone": zone})
