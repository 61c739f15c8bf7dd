from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods

from files.selectors import attachments
from measurements import selectors, services, trends
from measurements.forms import MeasurementForm, ThresholdForm
from measurements.kinds import KINDS, Kind, Type
from measurements.models import Measurement, MeasurementThreshold
from medtrack.db import AlreadyCreated
from medtrack.forms import after_conflict, newer_values
from medtrack.shortcuts import get_or_gone, int_choice
from medtrack.types import AuthenticatedHttpRequest
from patients.access import Area, Level, can, patient_view
from patients.models import Patient


def _kind(type_: str) -> Kind:
    if type_ not in KINDS:
        raise Http404
    return KINDS[type_]


def _reading(patient: Patient, measurement_id: uuid.UUID) -> Measurement:
    return get_object_or_404(Measurement, pk=measurement_id, patient=patient)


def _saved(
    request: AuthenticatedHttpRequest, patient: Patient, reading: Measurement
) -> HttpResponse:
    """Say what was saved (and whether it is outside the target), back to its trend."""
    (entry,) = selectors.shown([reading], request.user.unit_preferences)
    params = {"what": entry.title.lower(), "value": entry.text}
    if reading.out_of_range:
        messages.warning(
            request, _("Saved %(what)s: %(value)s — outside the target range.") % params
        )
    else:
        messages.success(request, _("Saved %(what)s: %(value)s.") % params)
    return redirect(_trend_url(patient, reading))


def _trend_url(patient: Patient, reading: Measurement) -> str:
    """The reading's trend page ("other" readings: the trend of their label)."""
    url = reverse("measurements:trend", args=[patient.pk, reading.type])
    return f"{url}?{urlencode({'label': reading.label})}" if reading.label else url


@patient_view(Area.MEASUREMENTS)
@require_GET
def overview(request: AuthenticatedHttpRequest, patient: Patient) -> HttpResponse:
    preferences = request.user.unit_preferences
    page = selectors.recent(patient, cursor=request.GET.get("before"))
    context = {
        "patient": patient,
        "latest": selectors.shown(selectors.latest(patient), preferences),
        "readings": selectors.shown(page.items, preferences),
        "next_cursor": page.next_cursor,
        "kinds": KINDS.values(),
        "can_write": can(patient, Area.MEASUREMENTS, Level.WRITE),
    }
    return render(request, "measurements/overview.html", context)


@patient_view(Area.MEASUREMENTS, Level.WRITE)
@require_http_methods(["GET", "POST"])
def create(request: AuthenticatedHttpRequest, patient: Patient) -> HttpResponse:
    type_ = request.POST.get("type") or request.GET.get("type", "")
    if type_ not in KINDS:
        return render(
            request, "measurements/choose.html", {"patient": patient, "kinds": KINDS.values()}
        )
    kind = KINDS[type_]
    zone = patient.zone
    form = MeasurementForm(
        request.POST or None,
        kind=kind,
        preferences=request.user.unit_preferences,
        zone=zone,
        initial={"measured_at": timezone.now(), "form_token": uuid.uuid4()},
    )
    if request.method == "POST" and form.is_valid():
        try:
            reading = services.measurement_create(
                patient=patient,
                actor=request.user,
                form_token=form.cleaned_data["form_token"],
                **form.reading,
            )
        except AlreadyCreated:
            messages.info(request, _("This reading was already saved."))
            return redirect(_trend_url(patient, Measurement(**form.reading)))
        except ValidationError as error:
            form.add_error(None, error)
        else:
            return _saved(request, patient, reading)
    context = {"patient": patient, "form": form, "kind": kind, "creating": True}
    return render(request, "measurements/form.html", context)


@patient_view(Area.MEASUREMENTS, Level.WRITE)
@require_http_methods(["GET", "POST"])
def edit(
    request: AuthenticatedHttpRequest, patient: Patient, measurement_id: uuid.UUID
) -> HttpResponse:
    reading = _reading(patient, measurement_id)
    kind = KINDS[reading.type]
    options: dict[str, Any] = {
        "kind": kind,
        "preferences": request.user.unit_preferences,
        "zone": patient.zone,
        "instance": reading,
    }
    form = MeasurementForm(request.POST or None, **options)
    if request.method == "POST" and form.is_valid():
        try:
            saved = services.measurement_update(
                patient=patient,
                actor=request.user,
                measurement=reading,
                version=form.cleaned_data["version"],
                **form.reading,
            )
        except services.Measurement.DoesNotExist:
            raise Http404 from None
        except services.EditConflict:
            latest = _reading(patient, measurement_id)
            form = after_conflict(
                lambda data: MeasurementForm(data, **{**options, "instance": latest}),
                request.POST,
                latest.updated_at,
                _(
                    "Someone else changed this reading while you were editing; it is now "
                    "%(value)s. Your changes are still below: check, then save again."
                )
                % {"value": selectors.shown([latest], options["preferences"])[0].text},
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            return _saved(request, patient, saved)
    context = {
        "patient": patient,
        "form": form,
        "kind": kind,
        "reading": reading,
        **attachments(patient, reading.files.all(), measurement=reading.pk),
    }
    return render(request, "measurements/form.html", context)


@patient_view(Area.MEASUREMENTS, Level.WRITE)
@require_http_methods(["GET", "POST"])
def delete(
    request: AuthenticatedHttpRequest, patient: Patient, measurement_id: uuid.UUID
) -> HttpResponse:
    reading = get_or_gone(
        request,
        Measurement.objects.filter(patient=patient),
        measurement_id,
        gone=_("The reading was already deleted."),
        back=reverse("measurements:overview", args=[patient.pk]),
    )
    if isinstance(reading, HttpResponse):
        return reading
    if request.method == "POST":
        services.measurement_delete(patient=patient, actor=request.user, measurement=reading)
        messages.success(request, _("The reading was deleted."))
        return redirect(_trend_url(patient, reading))
    (entry,) = selectors.shown([reading], request.user.unit_preferences)
    context = {"patient": patient, "entry": entry, "back": _trend_url(patient, reading)}
    return render(request, "measurements/delete.html", context)


@patient_view(Area.MEASUREMENTS)
@require_GET
def trend(request: AuthenticatedHttpRequest, patient: Patient, type: str) -> HttpResponse:
    """A type's chart over 7/30/90/365 days with its target band, the latest value,
    min/avg/max, and its readings (a fixed number of queries)."""
    kind = _kind(type)
    preferences = request.user.unit_preferences
    unit = kind.unit_for(preferences)
    label = request.GET.get("label", "")[:80] if kind.type == Type.OTHER else ""
    if "\x00" in label:
        raise Http404
    days = int_choice(request.GET.get("days"), selectors.WINDOWS, 30)
    now = timezone.now()
    since = now - dt.timedelta(days=days)
    threshold = MeasurementThreshold.objects.filter(patient=patient, type=kind.type).first()
    points = selectors.points(patient, kind.type, since, label)
    page = selectors.recent(
        patient, type_=kind.type, label=label, cursor=request.GET.get("before")
    )
    readings = selectors.shown(page.items, preferences)
    symbol = readings[0].reading.unit if kind.type == Type.OTHER and readings else unit.symbol
    chart = trends.chart(
        kind=kind,
        unit=unit,
        points=points,
        threshold=threshold,
        since=since,
        until=now,
        zone=patient.zone,
        title=label or kind.label,
        symbol=str(symbol),
    )
    context = {
        "patient": patient,
        "kind": kind,
        "unit": unit,
        "label": label,
        "days": days,
        "windows": selectors.WINDOWS,
        "chart": chart,
        "stats": trends.summary(points, unit, symbol=str(symbol)),
        "threshold": threshold,
        "target": trends.describe_target(threshold, kind, unit),
        "readings": readings,
        "next_cursor": page.next_cursor,
        "can_write": can(patient, Area.MEASUREMENTS, Level.WRITE),
        # "Other" without a label mixes several things: name each row, offer each chart.
        "mixed": kind.type == Type.OTHER and not label,
        "labels": selectors.other_labels(patient) if kind.type == Type.OTHER and not label else [],
    }
    return render(request, "measurements/trend.html", context)


@patient_view(Area.MEASUREMENTS, Level.WRITE)
@require_http_methods(["GET", "POST"])
def target(request: AuthenticatedHttpRequest, patient: Patient, type: str) -> HttpResponse:
    kind = _kind(type)
    if not kind.has_target:
        raise Http404
    threshold = MeasurementThreshold.objects.filter(patient=patient, type=kind.type).first()
    form = ThresholdForm(
        request.POST or None,
        kind=kind,
        preferences=request.user.unit_preferences,
        instance=threshold,
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            saved, outside = services.threshold_set(
                patient=patient,
                actor=request.user,
                type=kind.type,
                min_value=data.get("min_value"),
                max_value=data.get("max_value"),
                min_secondary=data.get("min_secondary"),
                max_secondary=data.get("max_secondary"),
                is_active=data["is_active"],
                version=data.get("version"),
            )
        except services.EditConflict:
            latest = MeasurementThreshold.objects.get(patient=patient, type=kind.type)
            saved_now: dict[str, Any] = {
                name: None if (value := getattr(latest, name)) is None else form.unit.show(value)
                for name in ("min_value", "max_value", "min_secondary", "max_secondary")
            }
            form = after_conflict(
                lambda data: ThresholdForm(
                    data, kind=kind, preferences=request.user.unit_preferences, instance=latest
                ),
                request.POST,
                latest.updated_at,
                _(
                    "Someone else changed this target while you were editing. Saved now: "
                    "%(values)s. Your changes are still below: check, then save again."
                )
                % {
                    "values": newer_values(
                        form, {**saved_now, "is_active": latest.is_active}, only_changed=False
                    )
                },
            )
            threshold = latest
        except ValidationError as error:
            form.add_error(None, error)
        else:
            if saved.is_active:
                messages.success(
                    request,
                    ngettext(
                        "Target saved. %(count)s reading is outside it.",
                        "Target saved. %(count)s readings are outside it.",
                        outside,
                    )
                    % {"count": outside},
                )
            else:
                messages.success(request, _("Target saved; readings are no longer flagged."))
            return redirect("measurements:trend", patient_id=patient.pk, type=kind.type.value)
    context = {"patient": patient, "form": form, "kind": kind, "threshold": threshold}
    return render(request, "measurements/target.html", context)
