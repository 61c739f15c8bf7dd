"""Stop receiving a file as soon as it passes ``FILE_MAX_MB``, instead of writing
all of it to disk first; the view then says which files were too large."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler, SkipFile


class SizeLimit(FileUploadHandler):
    """First in ``FILE_UPLOAD_HANDLERS``: counts each file's bytes and skips the
    rest of one that is too large (its name goes to ``request.too_large``)."""

    def new_file(self, *args: Any, **kwargs: Any) -> None:
        super().new_file(*args, **kwargs)
        self.received = 0

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes | None:
        self.received += len(raw_data)
        if self.received > settings.FILE_MAX_MB * 1024 * 1024:
            too_large = getattr(self.request, "too_large", [])
            too_large.append(self.file_name)
            self.request.too_large = too_large  # type: ignore[union-attr]
            raise SkipFile
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None
