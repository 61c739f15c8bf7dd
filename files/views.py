from __future__ import annotations

import uuid

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from files import selectors, services, serving
from files.forms import FileForm, FilterForm, ShareForm, UploadForm
from files.models import File, FileShare
from medtrack.db import EditConflict
from medtrack.forms import after_conflict
from medtrack.shortcuts import get_or_gone
from medtrack.types import AuthenticatedHttpRequest
from patients.access import Area, Level, can, patient_view
from patients.models import Patient


@patient_view(Area.FILES)
@require_GET
def file_list(request: AuthenticatedHttpRequest, patient: Patient) -> HttpResponse:
    filters = FilterForm(request.GET)
    chosen = filters.cleaned_data if filters.is_valid() else {}
    page = selectors.patient_files(
        patient,
        kind=chosen.get("kind", ""),
        attached=chosen.get("attached", ""),
        cursor=request.GET.get("before"),
    )
    context = {
        "patient": patient,
        "page": page,
        "filters": filters,
        "filtered": bool(chosen.get("kind") or chosen.get("attached")),
        "used": services.used_bytes(patient),
        "quota": services.quota_bytes(),
        "can_write": can(patient, Area.FILES, Level.WRITE),
    }
    return render(request, "files/list.html", context)


@patient_view(Area.FILES, Level.WRITE)
@require_http_methods(["GET", "POST"])
def upload(request: AuthenticatedHttpRequest, patient: Patient) -> HttpResponse:
    initial = {
        "form_token": uuid.uuid4(),
        "measurement": request.GET.get("measurement"),
        "log": request.GET.get("log"),
    }
    posted = request.method == "POST"
    form = UploadForm(
        request.POST if posted else None,
        request.FILES if posted else None,
        patient=patient,
        initial=initial,
    )
    too_large = [
        _("%(name)s is larger than %(limit)s: it was not sent.")
        % {"name": name, "limit": filesizeformat(services.max_bytes())}
        for name in getattr(request, "too_large", [])
    ]
    if posted and form.is_valid():
        result = services.files_upload(
            patient=patient,
            actor=request.user,
            uploads=form.cleaned_data["upload"],
            form_token=form.cleaned_data["form_token"],
            measurement=form.cleaned_data["measurement"],
            log=form.cleaned_data["log"],
            keep_location=form.cleaned_data["keep_location"],
        )
        for why in too_large + [why for _name, why in result.refused]:
            form.add_error("upload", why)
        if result.saved:
            count = len(result.saved)
            messages.success(
                request,
                ngettext("%(count)d file kept.", "%(count)d files kept.", count)
                % {"count": count},
            )
            for why in too_large + [why for _name, why in result.refused]:
                messages.warning(request, why)
            listing = reverse("files:list", args=[patient.pk])
            if request.headers.get("X-Upload"):  # the page's script navigates itself
                return HttpResponse(status=201, headers={"X-Location": listing})
            return redirect(listing)
    elif posted:
        for why in too_large:
            form.add_error("upload", why)
    attached = form["measurement"].value() or form["log"].value()
    context = {
        "patient": patient,
        "form": form,
        "attached": attached,
        "max_bytes": services.max_bytes(),
        "space_left": max(0, services.quota_bytes() - services.used_bytes(patient)),
    }
    return render(request, "files/upload.html", context, status=200)


@patient_view(Area.FILES)
@require_http_methods(["GET", "POST"])
def file_detail(
    request: AuthenticatedHttpRequest, patient: Patient, file_id: uuid.UUID
) -> HttpResponse:
    """See a file; rename it and add a note; share it."""
    file = selectors.patient_file(patient, file_id)
    form = FileForm(
        request.POST or None,
        initial={"file_name": file.file_name, "note": file.note, "version": file.updated_at},
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.file_update(
                patient=patient,
                actor=request.user,
                file=file,
                file_name=form.cleaned_data["file_name"],
                note=form.cleaned_data["note"],
                version=form.cleaned_data["version"],
            )
        except EditConflict:
            latest = selectors.patient_file(patient, file_id)
            form = after_conflict(
                FileForm,
                request.POST,
                latest.updated_at,
                _(
                    "Someone else changed this file's name or note while you were editing. "
                    "Yours are still below; the saved ones are “%(name)s”. Check, then save again."
                )
                % {"name": latest.file_name},
            )
        else:
            messages.success(request, _("Saved."))
            return redirect("files:detail", patient_id=patient.pk, file_id=file.pk)
    return _detail(request, patient, file, form, ShareForm())


def _detail(
    request: AuthenticatedHttpRequest,
    patient: Patient,
    file: File,
    form: FileForm,
    share_form: ShareForm,
) -> HttpResponse:
    can_write = can(patient, Area.FILES, Level.WRITE)
    context = {
        "patient": patient,
        "file": file,
        "form": form,
        "share_form": share_form,
        "shares": selectors.live_shares(file) if can_write else [],
        "can_write": can_write,
    }
    return render(request, "files/detail.html", context)


@patient_view(Area.FILES, Level.WRITE)
@require_http_methods(["GET", "POST"])
def file_delete(
    request: AuthenticatedHttpRequest, patient: Patient, file_id: uuid.UUID
) -> HttpResponse:
    listing = reverse("files:list", args=[patient.pk])
    found = get_or_gone(
        request,
        selectors.patient_files_queryset(patient),
        file_id,
        gone=_("That file was already deleted."),
        back=listing,
    )
    if isinstance(found, HttpResponse):
        return found
    if request.method == "POST":
        services.file_delete(patient=patient, actor=request.user, file=found)
        messages.success(request, _("%(name)s was deleted.") % {"name": found.file_name})
        return redirect(listing)
    return render(request, "files/delete.html", {"patient": patient, "file": found})


@patient_view(Area.FILES, Level.WRITE)
@require_POST
def share(request: AuthenticatedHttpRequest, patient: Patient, file_id: uuid.UUID) -> HttpResponse:
    file = selectors.patient_file(patient, file_id)
    form = ShareForm(request.POST)
    if form.is_valid():
        now = timezone.now()
        try:
            services.file_share(
                patient=patient,
                actor=request.user,
                file=file,
                email=form.cleaned_data["email"],
                expires_at=form.expires_at(now),
                now=now,
            )
        except ValidationError as error:
            form.add_error("email", error)
        else:
            messages.success(
                request,
                _("Shared with %(email)s. They see it under “Shared with me”.")
                % {"email": form.cleaned_data["email"]},
            )
            return redirect("files:detail", patient_id=patient.pk, file_id=file.pk)
    edit = FileForm(
        initial={"file_name": file.file_name, "note": file.note, "version": file.updated_at}
    )
    return _detail(request, patient, file, edit, form)


@patient_view(Area.FILES, Level.WRITE)
@require_POST
def share_revoke(
    request: AuthenticatedHttpRequest, patient: Patient, file_id: uuid.UUID, share_id: uuid.UUID
) -> HttpResponse:
    file = selectors.patient_file(patient, file_id)
    found = FileShare.objects.filter(pk=share_id, file=file).select_related("shared_with").first()
    if found is not None:
        services.share_revoke(patient=patient, actor=request.user, share=found)
        messages.success(
            request, _("%(name)s can no longer see it.") % {"name": found.shared_with.name}
        )
    return redirect("files:detail", patient_id=patient.pk, file_id=file.pk)


@patient_view(Area.FILES, logged=False)
@require_GET
def download(
    request: AuthenticatedHttpRequest, patient: Patient, file_id: uuid.UUID
) -> HttpResponse:
    return serving.serve(request, selectors.patient_file(patient, file_id), inline=False)


@patient_view(Area.FILES, logged=False)
@require_GET
def view(request: AuthenticatedHttpRequest, patient: Patient, file_id: uuid.UUID) -> HttpResponse:
    return serving.serve(request, selectors.patient_file(patient, file_id), inline=True)


@patient_view(Area.FILES, logged=False)
@require_GET
def thumbnail(
    request: AuthenticatedHttpRequest, patient: Patient, file_id: uuid.UUID
) -> HttpResponse:
    file = selectors.patient_file(patient, file_id)
    return serving.serve(request, file, inline=True, thumbnail=True)


# -- Shared with me (people outside the team) ---------------------------------------


@require_GET
def shared_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    shares = list(selectors.shared_with(request.user))
    return render(request, "files/shared_list.html", {"shares": shares})


@require_GET
def shared_detail(request: AuthenticatedHttpRequest, file_id: uuid.UUID) -> HttpResponse:
    file, found = selectors.shared_file(request.user, file_id)
    return render(request, "files/shared_detail.html", {"file": file, "share": found})


@require_GET
def shared_download(request: AuthenticatedHttpRequest, file_id: uuid.UUID) -> HttpResponse:
    file, _share = selectors.shared_file(request.user, file_id)
    return serving.serve(request, file, inline=False)


@require_GET
def shared_view(request: AuthenticatedHttpRequest, file_id: uuid.UUID) -> HttpResponse:
    file, _share = selectors.shared_file(request.user, file_id)
    return serving.serve(request, file, inline=True)


@require_GET
def shared_thumbnail(request: AuthenticatedHttpRequest, file_id: uuid.UUID) -> HttpResponse:
    file, _share = selectors.shared_file(request.user, file_id)
    return serving.serve(request, file, inline=True, thumbnail=True)
