"""Safe uploads: types by content, limits, names, image privacy and bombs."""

from __future__ import annotations

import io
import uuid

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from accounts.models import User
from conftest import add_file, as_member, png_bytes
from files import services
from files.models import File
from medtrack.rls import acting_as, system_context
from patients.access import Area
from patients.models import Patient

pytestmark = pytest.mark.django_db


def upload(
    user: User, patient: Patient, *files: tuple[str, bytes], **options
) -> services.Uploaded:
    with acting_as(user.pk):
        return services.files_upload(
            patient=as_member(user, patient, Area.FILES),
            actor=user,
            uploads=[SimpleUploadedFile(name, content) for name, content in files],
            form_token=options.pop("form_token", uuid.uuid4()),
            **options,
        )


def pdf_bytes(pages: int = 2) -> bytes:
    from pypdf import PdfWriter

    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=595, height=842)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def jpeg_with_exif(*, gps: bool = False, orientation: int | None = None) -> bytes:
    image = Image.new("RGB", (60, 30), "orange")
    exif = Image.Exif()
    if orientation:
        exif[0x0112] = orientation
    if gps:
        exif[0x8825] = {1: "N", 2: (40.0, 25.0, 0.0), 3: "W", 4: (3.0, 42.0, 0.0)}
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif)
    return out.getvalue()


def stored(file: File) -> bytes:
    with default_storage.open(file.storage_path, "rb") as handle:
        return handle.read()


class TestAccepted:
    @pytest.mark.parametrize(
        ("name", "content", "mime"),
        [
            ("discharge letter.pdf", pdf_bytes(), "application/pdf"),
            ("rash.jpg", jpeg_with_exif(), "image/jpeg"),
            ("pill bottle.png", png_bytes(), "image/png"),
            ("wound.webp", png_bytes(format="WEBP"), "image/webp"),
            ("notes.txt", "Tensión 150/95 por la mañana\n".encode(), "text/plain"),
            ("no extension", pdf_bytes(1), "application/pdf"),
        ],
    )
    def test_each_accepted_type_is_kept_with_what_it_really_is(
        self, primary: User, patient: Patient, name: str, content: bytes, mime: str
    ) -> None:
        (file,) = upload(primary, patient, (name, content)).saved
        assert file.mime_type == mime
        assert file.original_name == name
        assert file.file_name == name.rsplit(".", 1)[0]
        assert file.filename.startswith(f"{file.pk}.")  # generated, not the user's
        assert file.storage_path == f"patients/{patient.pk}/{file.filename}"
        assert file.size == len(content)
        assert file.url is None
        assert len(file.metadata["sha256"]) == 64
        assert stored(file) == content

    def test_a_pdf_knows_its_pages_and_an_image_its_size(
        self, primary: User, patient: Patient
    ) -> None:
        pdf = add_file(primary, patient, "lab.pdf", pdf_bytes(3))
        assert pdf.metadata["pages"] == 3
        photo = add_file(primary, patient, "cuff.png", png_bytes((640, 480)))
        assert (photo.metadata["width"], photo.metadata["height"]) == (640, 480)

    def test_heic_photos_from_phones(self, primary: User, patient: Patient) -> None:
        import pillow_heif

        heif = pillow_heif.from_pillow(Image.new("RGB", (32, 32), "navy"))
        out = io.BytesIO()
        heif.save(out, quality=50)
        (file,) = upload(primary, patient, ("IMG_0001.HEIC", out.getvalue())).saved
        assert file.mime_type == "image/heic"
        assert file.metadata["thumbnail"]


class TestRefused:
    @pytest.mark.parametrize(
        ("name", "content", "says"),
        [
            ("animation.gif", b"GIF89a" + b"\x00" * 40, "not accepted"),
            ("setup.exe", b"MZ\x90\x00" + b"\x00" * 60, "not accepted"),
            ("archive.zip", b"PK\x03\x04" + b"\x00" * 60, "not accepted"),
            ("drawing.svg", b"<svg xmlns='http://www.w3.org/2000/svg'/>", "not accepted"),
            ("letter.pdf", b"<html><script>alert(1)</script></html>", "not what its name says"),
            ("photo.jpg", png_bytes(), "not what its name says"),
            ("scan.pdf", b"%PDF-1.7\nthis is not really a pdf", "could not be read"),
            ("broken.png", png_bytes()[:40], "not a picture we can read"),
            ("empty.txt", b"", "is empty"),
        ],
    )
    def test_unsafe_or_unknown_content_is_refused_with_a_reason(
        self, primary: User, patient: Patient, name: str, content: bytes, says: str
    ) -> None:
        result = upload(primary, patient, (name, content))
        assert result.saved == []
        ((refused_name, why),) = result.refused
        assert refused_name == name
        assert says in why
        if "not accepted" in why:
            assert "PDF, JPEG, PNG, WebP, HEIC photos and plain text" in why

    def test_the_others_in_the_same_upload_are_still_kept(
        self, primary: User, patient: Patient
    ) -> None:
        result = upload(primary, patient, ("ok.png", png_bytes()), ("bad.exe", b"MZ" * 40))
        assert [f.original_name for f in result.saved] == ["ok.png"]
        assert [name for name, _why in result.refused] == ["bad.exe"]

    def test_the_size_limit_per_file(self, primary: User, patient: Patient, settings) -> None:
        settings.FILE_MAX_MB = 1
        big = b"x" * (1024 * 1024 + 1)
        ((_name, why),) = upload(primary, patient, ("big.txt", big)).refused
        assert why == "big.txt is 1.0\xa0MB; the limit is 1.0\xa0MB per file."

    def test_the_patients_quota(self, primary: User, patient: Patient, settings) -> None:
        settings.FILE_PATIENT_QUOTA_MB = 1
        with system_context("test"):
            used = services.used_bytes(patient)
        half = b"y" * ((1024 * 1024 - used) // 2 + 10)
        result = upload(primary, patient, ("a.txt", half), ("b.txt", half))
        assert [f.original_name for f in result.saved] == ["a.txt"]
        ((_name, why),) = result.refused
        assert why.startswith("b.txt does not fit: Rosa Primary's files may take up to 1.0")
        assert "Delete files you no longer need" in why

    def test_decompression_bombs_are_refused(
        self, primary: User, patient: Patient, settings
    ) -> None:
        settings.FILE_MAX_PIXELS = 1000  # (a 100 x 100 picture stands in for a huge one)
        ((_name, why),) = upload(primary, patient, ("bomb.png", png_bytes((100, 100)))).refused
        assert "too large to open safely" in why


class TestNames:
    @pytest.mark.parametrize(
        ("sent", "shown"),
        [
            ("../../etc/passwd.txt", "passwd"),
            ("C:\\Users\\ana\\lab.txt", "lab"),
            ("re\x00port\x1b[31m.txt", "report[31m"),
            ("invoice\u202etxt.exe.txt", "invoicetxt.exe"),
            ("<script>.txt", "script"),
            (" . ", "Untitled"),
        ],
    )
    def test_names_cannot_escape_the_storage_or_break_the_page(
        self, primary: User, patient: Patient, sent: str, shown: str
    ) -> None:
        (file,) = upload(primary, patient, (sent, b"hello\n")).saved
        assert file.file_name == shown
        assert file.storage_path == f"patients/{patient.pk}/{file.pk}.txt"
        assert ".." not in file.storage_path

    def test_a_very_long_name_is_shortened_keeping_its_extension(
        self, primary: User, patient: Patient
    ) -> None:
        (file,) = upload(primary, patient, ("é" * 400 + ".txt", b"x")).saved
        assert len(file.original_name) == 150
        assert file.original_name.endswith(".txt")


class TestImagePrivacy:
    def test_gps_is_removed_unless_kept(self, primary: User, patient: Patient) -> None:
        content = jpeg_with_exif(gps=True)
        (removed,) = upload(primary, patient, ("garden.jpg", content)).saved
        assert removed.metadata["location"] == "removed"
        assert 0x8825 not in Image.open(io.BytesIO(stored(removed))).getexif()
        assert removed.size == len(stored(removed))
        (kept,) = upload(primary, patient, ("garden.jpg", content), keep_location=True).saved
        assert kept.metadata["location"] == "kept"
        assert stored(kept) == content

    def test_location_in_xmp_is_removed_too_and_colours_kept(
        self, primary: User, patient: Patient
    ) -> None:
        xmp = (
            b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/'
            b'02/22-rdf-syntax-ns#"><rdf:Description xmlns:exif="http://ns.adobe.com/exif/1.0/"'
            b' exif:GPSLatitude="40,25.0N" exif:GPSLongitude="3,42.0W"/></rdf:RDF></x:xmpmeta>'
        )
        from PIL import ImageCms

        profile = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
        out = io.BytesIO()
        Image.new("RGB", (40, 30), "red").save(out, format="JPEG", xmp=xmp, icc_profile=profile)
        (file,) = upload(primary, patient, ("phone.jpg", out.getvalue())).saved
        assert file.metadata["location"] == "removed"
        kept = stored(file)
        assert b"GPSLatitude" not in kept
        assert Image.open(io.BytesIO(kept)).info.get("icc_profile") == profile

    def test_multi_picture_jpegs_from_phones_are_jpegs(
        self, primary: User, patient: Patient
    ) -> None:
        out = io.BytesIO()
        picture = Image.new("RGB", (40, 30), "green")
        picture.save(out, format="MPO", save_all=True, append_images=[picture])
        (file,) = upload(primary, patient, ("IMG_2041.JPG", out.getvalue())).saved
        assert file.mime_type == "image/jpeg"

    def test_thumbnails_stand_upright_and_carry_no_exif(
        self, primary: User, patient: Patient
    ) -> None:
        # 60 x 30 stored with "rotate 90°": the photo is portrait.
        (file,) = upload(primary, patient, ("sideways.jpg", jpeg_with_exif(orientation=6))).saved
        assert (file.metadata["width"], file.metadata["height"]) == (30, 60)
        with default_storage.open(file.metadata["thumbnail"], "rb") as handle:
            thumbnail = Image.open(io.BytesIO(handle.read()))
        assert thumbnail.format == "WEBP"
        assert thumbnail.width < thumbnail.height
        assert not thumbnail.getexif()


def test_the_same_form_sent_twice_keeps_each_file_once(primary: User, patient: Patient) -> None:
    token = uuid.uuid4()
    first = upload(primary, patient, ("a.png", png_bytes()), form_token=token)
    again = upload(primary, patient, ("a.png", png_bytes()), form_token=token)
    assert [f.pk for f in again.saved] == [f.pk for f in first.saved]
    with system_context("test"):
        assert File.objects.filter(patient=patient, original_name="a.png").count() == 1
