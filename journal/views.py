from __future__ import annotations

import datetime as dt
import uuid

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from files.selectors import attachments
from journal import selectors, services, timeline
from journal.forms import DailyLogForm, parse_day
from journal.models import DailyLog
from medtrack.db import AlreadyCreated, same_as_saved
from medtrack.forms import after_conflict
from medtrack.shortcuts import get_or_gone, int_choice
from medtrack.types import AuthenticatedHttpRequest
from patients.access import Area, Level, can, patient_view
from patients.models import Patient


@patient_view(Area.LOGS)
@require_GET
def home(request: AuthenticatedHttpRequest, patient: Patient) -> HttpResponse:
    """Today's entries, a button to write mine, and mood, sleep and pain over time."""
    today = patient.today()
    days = int_choice(request.GET.get("days"), selectors.TREND_WINDOWS, 30)
    entries = selectors.day_entries(patient, today)
    context = {
        "patient": patient,
        "today": today,
        "entries": entries,
        "mine": next((e for e in entries if e.created_by_id == request.user.pk), None),
        "can_write_journal": can(patient, Area.LOGS, Level.WRITE),
        "charts": selectors.trends(patient, today, days, patient.zone),
        "days": days,
        "windows": selectors.TREND_WINDOWS,
    }
    return render(request, "journal/home.html", context)


@patient_view(Area.LOGS, Level.WRITE)
@require_http_methods(["GET", "POST"])
def write(request: AuthenticatedHttpRequest, patient: Patient) -> HttpResponse:
    """My entry for a day (today unless ``?date=``): written the first time, edited after."""
    today = patient.today()
    day = parse_day(request.GET.get("date"), today)
    if day is None:
        messages.error(request, _("Choose a day up to today."))
        return redirect("journal:write", patient_id=patient.pk)
    entry = DailyLog.objects.filter(patient=patient, log_date=day, created_by=request.user).first()
    options = {"suggestions": selectors.suggestions(patient, today)}
    form = DailyLogForm(
        request.POST or None, instance=entry, initial={"form_token": uuid.uuid4()}, **options
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.entry_save(
                patient=patient,
                actor=request.user,
                log_date=day,
                entry=entry,
                version=form.cleaned_data["version"],
                form_token=form.cleaned_data["form_token"],
                **form.content,
            )
        except AlreadyCreated:
            messages.info(request, _("This entry was already saved."))
            return redirect("journal:home", patient_id=patient.pk)
        except DailyLog.DoesNotExist:
            messages.error(request, _("This entry was deleted meanwhile."))
            return redirect("journal:home", patient_id=patient.pk)
        except (services.DayTaken, services.EditConflict) as conflict:
            entry = (
                conflict.entry
                if isinstance(conflict, services.DayTaken)
                else get_object_or_404(DailyLog, pk=entry.pk)  # type: ignore[union-attr]
            )
            if same_as_saved(entry, form.content):  # typed the same in both windows
                messages.success(request, _("Journal entry saved."))
                return redirect("journal:home", patient_id=patient.pk)
            saved = entry
            form = after_conflict(
                lambda data: DailyLogForm(data, instance=saved, **options),
                request.POST,
                entry.updated_at,
                _(
                    "This day's entry was saved from another window or device while you "
                    "were writing. What you typed is still below: check it, then save again."
                ),
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(
                request,
                _("Journal entry saved for %(day)s.") % {"day": date_format(day, _("l j F"))},
            )
            return redirect("journal:home", patient_id=patient.pk)
    context = {
        "patient": patient,
        "form": form,
        "day": day,
        "today": today,
        "entry": entry,
        "previous_day": day - dt.timedelta(days=1),
        **(attachments(patient, entry.files.all(), log=entry.pk) if entry else {}),
    }
    return render(request, "journal/form.html", context)


@patient_view(Area.LOGS, Level.WRITE)
@require_http_methods(["GET", "POST"])
def delete(request: AuthenticatedHttpRequest, patient: Patient, log_id: uuid.UUID) -> HttpResponse:
    entry = get_or_gone(
        request,
        DailyLog.objects.select_related("created_by").filter(patient=patient),
        log_id,
        gone=_("The journal entry was already deleted."),
        back=reverse("journal:home", args=[patient.pk]),
    )
    if isinstance(entry, HttpResponse):
        return entry
    if entry.created_by_id != request.user.pk and not can(patient, Area.PATIENT, Level.MANAGE):
        raise PermissionDenied
    if request.method == "POST":
        services.entry_delete(patient=patient, actor=request.user, entry=entry)
        messages.success(request, _("The journal entry was deleted."))
        return redirect("journal:home", patient_id=patient.pk)
    return render(request, "journal/delete.html", {"patient": patient, "entry": entry})


@patient_view(Area.PATIENT, page="timeline")
@require_GET
def timeline_view(request: AuthenticatedHttpRequest, patient: Patient) -> HttpResponse:
    """Day by day, newest first: journal, readings and doses (what the user may see)."""
    today = patient.today()
    visible = [s for s in timeline.SOURCES if can(patient, s.area, Level.READ)]
    kind = request.GET.get("kind", "")
    chosen = [s for s in visible if s.kind == kind] or visible
    until = parse_day(request.GET.get("until"), today) or today
    page = timeline.page(
        patient,
        until=until,
        sources=chosen,
        preferences=request.user.unit_preferences,
    )
    context = {
        "patient": patient,
        "page": page,
        "sources": visible,
        "kind": kind if len(chosen) == 1 and len(visible) > 1 else "",
        "today": today,
        "can_write_journal": can(patient, Area.LOGS, Level.WRITE),
    }
    return render(request, "journal/timeline.html", context)
