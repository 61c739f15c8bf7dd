from __future__ import annotations

import uuid

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from exports import selectors, services
from exports.forms import ExportForm
from exports.models import ExportJob, Status
from files import serving
from medtrack.types import AuthenticatedHttpRequest
from patients.access import Area, Level, patient_view
from patients.models import Patient


@patient_view(Area.EXPORTS, Level.WRITE)
@require_http_methods(["GET", "POST"])
def export_list(request: AuthenticatedHttpRequest, patient: Patient) -> HttpResponse:
    """Ask for an export; see those made (the list refreshes itself while one is made)."""
    today = patient.today()
    initial = {
        "date_from": selectors.since_last_visit(patient, today),
        "date_to": today,
        "form_token": uuid.uuid4(),
    }
    form = ExportForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.export_request(
                patient=patient,
                actor=request.user,
                format=form.cleaned_data["format"],
                date_from=form.cleaned_data["date_from"],
                date_to=form.cleaned_data["date_to"],
                job_id=form.cleaned_data["form_token"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(
                request, _("The export is being made. It appears below when it is ready.")
            )
            return redirect("exports:list", patient_id=patient.pk)
    jobs = selectors.my_exports(patient, request.user)
    context = {
        "patient": patient,
        "form": form,
        "jobs": jobs,
        "working": any(job.status in (Status.PENDING, Status.RUNNING) for job in jobs),
    }
    return render(request, "exports/list.html", context)


@patient_view(Area.EXPORTS, Level.WRITE, logged=False)
@require_GET
def export_jobs(request: AuthenticatedHttpRequest, patient: Patient) -> HttpResponse:
    """The list alone, polled while an export is being made (not access-logged:
    the page it refreshes was)."""
    jobs = selectors.my_exports(patient, request.user)
    working = any(job.status in (Status.PENDING, Status.RUNNING) for job in jobs)
    context = {"patient": patient, "jobs": jobs, "working": working}
    return render(request, "exports/includes/_jobs.html", context)


@patient_view(Area.EXPORTS, Level.WRITE, logged=False)
@require_GET
def download(
    request: AuthenticatedHttpRequest, patient: Patient, job_id: uuid.UUID
) -> HttpResponse:
    job = (
        ExportJob.objects.filter(
            pk=job_id, patient=patient, requested_by=request.user, status=Status.COMPLETED
        )
        .select_related("file")
        .first()
    )
    if job is None or job.file is None:
        raise Http404
    return serving.serve(request, job.file, inline=False)
