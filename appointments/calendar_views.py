"""The calendar across my patients, my secret calendar feeds, and the feed itself."""

from __future__ import annotations

import calendar as monthcal
import datetime as dt
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from django.contrib.auth.decorators import login_not_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import (
    require_GET,
    require_http_methods,
    require_POST,
    require_safe,
)

from accounts import tokens
from accounts.models import ApiToken, Scope, UserSettings
from accounts.token_pages import token_form, token_revoke
from appointments import ical, selectors
from appointments.models import Appointment
from medications.recurrence import start_of_day
from medtrack.rls import acting_as
from medtrack.types import AuthenticatedHttpRequest

#: What a feed lists: the last half year and everything to come.
FEED_PAST = dt.timedelta(days=183)
FEED_MAX_EVENTS = 2000


@dataclass
class Day:
    date: dt.date
    in_month: bool = True
    appointments: list[Appointment] = field(default_factory=list)


def _viewer_zone(request: AuthenticatedHttpRequest) -> ZoneInfo:
    settings = getattr(request.user, "settings", None)  # None: no settings row yet
    return ZoneInfo(settings.timezone if settings else "UTC")


def _anchor(value: str | None, today: dt.date) -> dt.date:
    try:
        day = dt.date.fromisoformat(value or "")
    except ValueError:
        return today
    return day if dt.date(1900, 1, 1) <= day <= dt.date(2200, 12, 31) else today


@require_GET
def calendar_view(request: AuthenticatedHttpRequest) -> HttpResponse:
    """A week (Monday first) or a month of every appointment of every patient I
    may see, each on its patient's calendar day (one query)."""
    zone = _viewer_zone(request)
    today = timezone.now().astimezone(zone).date()
    anchor = _anchor(request.GET.get("date"), today)
    month_view = request.GET.get("view") == "month"
    if month_view:
        first = anchor.replace(day=1)
        days_in_month = monthcal.monthrange(first.year, first.month)[1]
        last = first + dt.timedelta(days=days_in_month - 1)
        grid_start = first - dt.timedelta(days=first.weekday())
        grid_end = last + dt.timedelta(days=6 - last.weekday())
        previous, following = first - dt.timedelta(days=1), last + dt.timedelta(days=1)
    else:
        grid_start = anchor - dt.timedelta(days=anchor.weekday())
        grid_end = grid_start + dt.timedelta(days=6)
        first, last = grid_start, grid_end
        previous, following = grid_start - dt.timedelta(days=7), grid_end + dt.timedelta(days=1)
    # Patients live in other zones too: fetch a day either side, then place each
    # appointment on its patient's calendar day.
    found = selectors.between(  # zones span 26 hours: two days either side
        request.user,
        start_of_day(grid_start - dt.timedelta(days=2), zone),
        start_of_day(grid_end + dt.timedelta(days=3), zone),
    )
    by_day: dict[dt.date, list[Appointment]] = defaultdict(list)
    for appointment in found:
        by_day[appointment.starts_at.astimezone(appointment.patient.zone).date()].append(
            appointment
        )
    days = [
        Day(day, first <= day <= last, by_day.get(day, []))
        for day in (
            grid_start + dt.timedelta(days=n) for n in range((grid_end - grid_start).days + 1)
        )
    ]
    context = {
        "days": days,
        "weeks": [days[i : i + 7] for i in range(0, len(days), 7)],
        "month_view": month_view,
        "first": first,
        "last": last,
        "today": today,
        "previous": previous,
        "following": following,
        "count": sum(len(d.appointments) for d in days if d.in_month),
    }
    return render(request, "appointments/calendar.html", context)


@never_cache  # the page that shows a secret stays out of every cache
@require_http_methods(["GET", "POST"])
def feeds(request: AuthenticatedHttpRequest) -> HttpResponse:
    """My secret calendar addresses: make one (its secret shown in this response
    only: it is not stored), see when each was last used, revoke."""
    form, _token, secret = token_form(
        request,
        scope=Scope.CALENDAR_READ,
        help_text=_("Where you will use it, for example “Ana's phone”."),
        made=_("Calendar address “%(name)s” made."),
    )
    context = {
        "form": form,
        "tokens": ApiToken.objects.filter(
            user=request.user, scopes__contains=[Scope.CALENDAR_READ]
        ).order_by("revoked_at", "-created_at"),
        "new_url": request.build_absolute_uri(reverse("appointments:feed", args=[secret]))
        if secret
        else "",
    }
    return render(request, "appointments/feeds.html", context)


@require_POST
def feed_revoke(request: AuthenticatedHttpRequest, token_id: uuid.UUID) -> HttpResponse:
    return token_revoke(
        request,
        token_id,
        done=_("Revoked: calendar apps using that address get nothing more."),
        already=_("That address was already revoked."),
        to="appointments:feeds",
    )


@login_not_required
@require_safe
def feed(request: HttpRequest, secret: str) -> HttpResponse:
    """The iCalendar feed a calendar app subscribes to: the token is resolved in
    system context, then the feed is read as its owner (row level security applies).
    An unknown, revoked or expired token is a 404."""
    token = tokens.token_resolve(secret, Scope.CALENDAR_READ)
    if token is None:
        raise Http404
    now = timezone.now()
    with acting_as(token.user_id):
        preferences = UserSettings.objects.filter(user=token.user).first()
        found = selectors.visible_to(token.user).filter(starts_at__gte=now - FEED_PAST)
        appointments = [
            a for a in found.order_by("starts_at")[:FEED_MAX_EVENTS] if selectors.may_see(a)
        ]
    # In the owner's language, whatever the calendar app asks for.
    with translation.override(preferences.language if preferences else None):
        body = ical.calendar(
            appointments,
            name=_("MedTrack — %(name)s") % {"name": token.user.name},
            now=now,
            zone=preferences.timezone if preferences else "UTC",
        )
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="medtrack.ics"'
    response["Cache-Control"] = "private, max-age=300"
    return response
