"""What an uploaded file really is, decided from its content by the libraries
that parse it (Pillow, pillow-heif, pypdf), never from the browser's word or the
extension; and the cleaned image we keep (GPS removed) plus its thumbnail."""

from __future__ import annotations

import hashlib
import io
import unicodedata
import warnings
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import IO, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from PIL import Image, ImageOps, UnidentifiedImageError

try:  # HEIC/HEIF (iPhone photos) when the decoder is installed
    import pillow_heif

    pillow_heif.register_heif_opener()
    HEIF = True
except ImportError:  # pragma: no cover - the lock installs it
    HEIF = False

#: Pillow format → (MIME type, the extensions a file of it may carry).
IMAGE_FORMATS = {
    "JPEG": ("image/jpeg", {".jpg", ".jpeg", ".jpe", ".jfif"}),
    # Phones' multi-picture JPEGs (a depth map or preview inside): still JPEG files.
    "MPO": ("image/jpeg", {".jpg", ".jpeg", ".jpe", ".jfif"}),
    "PNG": ("image/png", {".png"}),
    "WEBP": ("image/webp", {".webp"}),
    "HEIF": ("image/heic", {".heic", ".heif"}),
}
PDF = ("application/pdf", {".pdf"})
TEXT = ("text/plain", {".txt", ".text", ".md", ".csv", ".log"})
KNOWN_EXTENSIONS = set().union(PDF[1], TEXT[1], *(exts for _m, exts in IMAGE_FORMATS.values()))
EXTENSIONS = {
    "image/jpeg": ".jpg",
    "image/png": ".png",
    "image/webp": ".webp",
    "image/heic": ".heic",
    "application/pdf": ".pdf",
    "text/plain": ".txt",
}
#: For the messages: what is accepted.
ACCEPTED = gettext_lazy("PDF, JPEG, PNG, WebP, HEIC photos and plain text")
#: The <input accept> list.
ACCEPT_ATTRIBUTE = ",".join(
    [*EXTENSIONS, "image/heif", ".pdf", ".jpg", ".jpeg", ".png", ".webp", ".heic", ".heif", ".txt"]
)
GPS_IFD = 0x8825
THUMBNAIL_SIZE = (480, 480)
MAX_NAME = 150


@dataclass
class Inspected:
    mime_type: str
    extension: str
    metadata: dict[str, Any] = field(default_factory=dict)
    #: The bytes to store when they differ from the upload's (GPS removed).
    cleaned: bytes | None = None
    thumbnail: bytes | None = None


def clean_name(name: str) -> str:
    """A name safe to show and to put in a header: no directories, no control or
    formatting characters (bidi overrides that disguise "gpj.exe"), NFC, and not
    too long (the extension kept)."""
    name = unicodedata.normalize("NFC", name or "")
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C" and ch not in '<>:"|?*')
    name = " ".join(name.split()).strip(". ")
    if len(name) > MAX_NAME:
        suffix = PurePosixPath(name).suffix[:10]
        name = name[: MAX_NAME - len(suffix)].rstrip() + suffix
    return name or _("Untitled")


def _refuse(message: str) -> ValidationError:
    return ValidationError(message, code="refused")


def inspect(upload: IO[bytes], name: str, *, keep_location: bool = False) -> Inspected:
    """Identify ``upload`` from its content, or refuse it with a message naming
    what is accepted; hash it; measure it; make a thumbnail for images."""
    upload.seek(0)
    head = upload.read(2048)
    upload.seek(0)
    extension = PurePosixPath(name.lower()).suffix
    if head.startswith(b"%PDF-"):
        found = _pdf(upload)
        allowed = PDF[1]
    elif head[:4] in (b"\x89PNG", b"RIFF") or head[:3] == b"\xff\xd8\xff" or b"ftyp" in head[:16]:
        found = _image(upload, keep_location=keep_location)
        allowed = next(exts for mime, exts in IMAGE_FORMATS.values() if mime == found.mime_type)
    else:
        found = _text(upload)
        allowed = TEXT[1]
    if extension and extension not in KNOWN_EXTENSIONS:
        raise _refuse(
            _("%(name)s: this kind of file is not accepted. Accepted: %(accepted)s.")
            % {"name": name, "accepted": ACCEPTED}
        )
    if extension and extension not in allowed:
        raise _refuse(
            _("%(name)s is not what its name says (%(extension)s): it was not kept.")
            % {"name": name, "extension": extension}
        )
    upload.seek(0)
    digest = hashlib.sha256()
    for chunk in iter(lambda: upload.read(1024 * 1024), b""):
        digest.update(chunk)
    upload.seek(0)
    found.metadata["sha256"] = (
        hashlib.sha256(found.cleaned).hexdigest() if found.cleaned else digest.hexdigest()
    )
    if found.cleaned:
        found.metadata["uploaded_sha256"] = digest.hexdigest()
    return found


def _pdf(upload: IO[bytes]) -> Inspected:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    metadata: dict[str, Any] = {}
    try:
        reader = PdfReader(upload)
        metadata["encrypted"] = reader.is_encrypted
        if not reader.is_encrypted:
            metadata["pages"] = len(reader.pages)
    except (PdfReadError, ValueError, KeyError, OSError) as error:
        raise _refuse(_("This PDF could not be read (it may be damaged).")) from error
    return Inspected(PDF[0], ".pdf", metadata)


def _image(upload: IO[bytes], *, keep_location: bool) -> Inspected:
    Image.MAX_IMAGE_PIXELS = settings.FILE_MAX_PIXELS
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(upload) as probe:
                probe.verify()  # a truncated or forged file fails here
            upload.seek(0)
            image = Image.open(upload)
            image.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        raise _refuse(
            _("This image is too large to open safely (more than %(pixels)s million pixels).")
            % {"pixels": settings.FILE_MAX_PIXELS // 1_000_000}
        ) from error
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as error:
        if not HEIF:  # pragma: no cover
            raise _refuse(_("HEIC photos cannot be read here; please send a JPEG.")) from error
        raise _refuse(
            _("This file is not a picture we can read. Accepted: %(accepted)s.")
            % {"accepted": ACCEPTED}
        ) from error
    if image.format not in IMAGE_FORMATS:
        raise _refuse(
            _("%(format)s images are not accepted. Accepted: %(accepted)s.")
            % {"format": image.format, "accepted": ACCEPTED}
        )
    mime, _extensions = IMAGE_FORMATS[image.format]
    exif = image.getexif()
    upright = ImageOps.exif_transpose(image)
    metadata: dict[str, Any] = {"width": upright.width, "height": upright.height}
    cleaned = None
    xmp = image.info.get("xmp") or b""
    located = bool(GPS_IFD in exif and exif.get_ifd(GPS_IFD)) or b"GPS" in bytes(
        xmp if isinstance(xmp, bytes) else str(xmp).encode()
    )
    if located:
        if keep_location:
            metadata["location"] = "kept"
        else:
            if GPS_IFD in exif:
                del exif[GPS_IFD]
            cleaned = _resave(image, exif)
            metadata["location"] = "removed"
    found = Inspected(mime, EXTENSIONS[mime], metadata, cleaned)
    found.thumbnail = _thumbnail(upright)
    return found


def _resave(image: Image.Image, exif: Image.Exif) -> bytes:
    """The same picture without the removed EXIF tags (JPEG keeps its own
    quantisation, so no visible loss)."""
    out = io.BytesIO()
    image.info.pop("xmp", None)  # XMP can carry the location too: it goes
    options: dict[str, Any] = {"exif": exif, "icc_profile": image.info.get("icc_profile")}
    file_format = "JPEG" if image.format == "MPO" else image.format
    if file_format == "JPEG":
        options["quality"] = "keep" if image.format == "JPEG" else 95
    elif file_format == "WEBP":
        options["quality"] = 90
    image.save(out, format=file_format, **options)
    return out.getvalue()


def _thumbnail(upright: Image.Image) -> bytes:
    thumbnail = upright.copy()
    thumbnail.thumbnail(THUMBNAIL_SIZE)
    if thumbnail.mode not in ("RGB", "RGBA"):
        thumbnail = thumbnail.convert("RGBA" if "A" in thumbnail.getbands() else "RGB")
    out = io.BytesIO()
    thumbnail.save(out, format="WEBP", quality=80)  # no EXIF: nothing to leak
    return out.getvalue()


def _text(upload: IO[bytes]) -> Inspected:
    data = upload.read(settings.FILE_MAX_MB * 1024 * 1024 + 1)
    upload.seek(0)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise _refuse(
            _("This kind of file is not accepted. Accepted: %(accepted)s.")
            % {"accepted": ACCEPTED}
        ) from error
    if "\x00" in text:
        raise _refuse(
            _("This kind of file is not accepted. Accepted: %(accepted)s.")
            % {"accepted": ACCEPTED}
        )
    return Inspected(TEXT[0], ".txt", {"lines": text.count("\n") + 1})


AVATAR_SIZE = 256


def avatar(upload: IO[bytes]) -> bytes:
    """A square, upright 256 px WebP of a photo, with no EXIF at all (no location)."""
    found = inspect(upload, "")
    if found.mime_type not in EXTENSIONS or not found.mime_type.startswith("image/"):
        raise _refuse(_("Choose a photo (JPEG, PNG, WebP or HEIC)."))
    upload.seek(0)
    with Image.open(upload) as image:
        upright = ImageOps.exif_transpose(image)
        square = ImageOps.fit(upright.convert("RGB"), (AVATAR_SIZE, AVATAR_SIZE))
    out = io.BytesIO()
    square.save(out, format="WEBP", quality=85)
    return out.getvalue()
