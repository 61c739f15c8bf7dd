"""Handing a file to the browser, after the view has checked access: streamed
from the local directory, or a redirect to a presigned S3 URL that expires in
minutes. Never a public URL."""

from __future__ import annotations

from typing import cast

from django.core.files.storage import FileSystemStorage, default_storage
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.utils.http import content_disposition_header

from audit.services import access_log_record
from files.inspect import EXTENSIONS
from files.models import File

#: PDFs shown in the browser run no script and reach nothing (sandbox).
PDF_POLICY = "sandbox; default-src 'none'; object-src 'self'; style-src 'unsafe-inline'"


def download_name(file: File) -> str:
    extension = EXTENSIONS.get(file.mime_type, "")
    name = file.file_name
    return name if name.lower().endswith(extension) else f"{name}{extension}"


def serve(
    request: HttpRequest, file: File, *, inline: bool, thumbnail: bool = False
) -> HttpResponse:
    """The file (or its thumbnail), inline only for images and PDFs, after
    recording who opened it."""
    path: str | None = file.metadata.get("thumbnail") if thumbnail else file.storage_path
    if not path:
        raise Http404
    inline = inline and (thumbnail or file.previews_inline)
    mime = "image/webp" if thumbnail else file.mime_type
    if not thumbnail:
        access_log_record(
            request=request,
            action="view" if inline else "download",
            patient_id=file.patient_id,
            object_type="file",
            object_id=str(file.pk),
        )
    disposition = content_disposition_header(not inline, download_name(file)) or ""
    # A PDF shown in the browser needs our sandbox header, which an S3 redirect
    # would lose: it is streamed through MedTrack wherever it is stored.
    stream = inline and mime == "application/pdf"
    cache = "private, max-age=300" if thumbnail else ""
    response = send(path, mime, disposition, cache=cache, stream=stream)
    if mime == "application/pdf":
        response["Content-Security-Policy"] = PDF_POLICY
    return response


def send(
    path: str, mime: str, disposition: str, *, cache: str = "", stream: bool = False
) -> HttpResponse:
    """Stream ``path`` from the local directory (or from S3 when ``stream``), or
    redirect to a presigned S3 URL (valid for ``S3_URL_EXPIRE_SECONDS``; the
    redirect itself is never cached, so it cannot outlive its URL). For callers
    that have checked access."""
    response: HttpResponseBase
    if stream or isinstance(default_storage, FileSystemStorage):
        try:
            handle = default_storage.open(path, "rb")
        except FileNotFoundError as error:
            raise Http404 from error
        response = FileResponse(handle, content_type=mime)
        response["Content-Disposition"] = disposition
    else:
        response = HttpResponseRedirect(
            default_storage.url(  # type: ignore[call-arg]  # S3Storage.url takes parameters
                path,
                parameters={
                    "ResponseContentType": mime,
                    "ResponseContentDisposition": disposition,
                },
            )
        )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = cache or "private, no-store"
    return cast(HttpResponse, response)  # (a FileResponse streams; views say HttpResponse)
