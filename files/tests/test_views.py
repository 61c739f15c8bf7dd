"""The pages: list, upload, detail, download, delete, share and revoke; who may
do what (the URL walk covers every route; these go further)."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from audit.models import AccessLog
from conftest import add_file, add_reading, break_glass, make_user, png_bytes, write_journal
from files.models import File, FileShare
from measurements import services as measurements
from medtrack.rls import acting_as, system_context
from notifications.models import Notification
from patients.access import Area
from patients.models import Patient

pytestmark = pytest.mark.django_db


def url(name: str, patient: Patient, file: File | None = None, **more: object) -> str:
    kwargs: dict[str, object] = {"patient_id": patient.pk, **more}
    if file is not None:
        kwargs["file_id"] = file.pk
    return reverse(f"files:{name}", kwargs=kwargs)


def the_photo(patient: Patient) -> File:
    """The fixture's photo of the blood pressure cuff, shared with Nora."""
    with system_context("test"):
        return File.objects.get(patient=patient, original_name="blood pressure cuff.png")


def nora() -> User:
    return User.objects.get(email="nora@example.com")


class TestList:
    def test_thumbnails_and_filters(self, client: Client, patient: Patient, primary: User) -> None:
        add_file(primary, patient, "lab.txt", b"glucose 110\n")
        client.force_login(primary)
        page = client.get(url("list", patient)).content.decode()
        photo = the_photo(patient)
        assert url("thumbnail", patient, photo) in page
        assert "lab" in page
        assert "with a reading" in page
        photos = client.get(url("list", patient), {"kind": "photo"}).content.decode()
        assert "blood pressure cuff" in photos
        assert ">lab<" not in photos
        loose = client.get(url("list", patient), {"attached": "none"}).content.decode()
        assert "blood pressure cuff" not in loose

    def test_an_empty_list_says_what_to_keep_here(
        self, client: Client, other_patient: Patient, stranger: User
    ) -> None:
        client.force_login(stranger)
        page = client.get(url("list", other_patient)).content.decode()
        assert "lab results, discharge letters, prescriptions and photos" in page
        assert "Add the first file" in page

    @pytest.mark.parametrize("extra", [0, 99])
    def test_a_page_costs_the_same_with_100_files(
        self,
        client: Client,
        patient: Patient,
        primary: User,
        extra: int,
        django_assert_num_queries,
    ) -> None:
        photo = the_photo(patient)
        with system_context("test"):
            File.objects.bulk_create(
                File(
                    patient=patient,
                    file_name=f"scan {n}",
                    mime_type="application/pdf",
                    size=1000,
                    storage_path=f"patients/{patient.pk}/{n}.pdf",
                    uploaded_by=primary,
                    measurement=photo.measurement,
                )
                for n in range(extra)
            )
        client.force_login(primary)
        # session, user, savepoint, app.user_id, patient, history context + access log,
        # the page, the space used, badge, viewer's settings (times), restore, release
        with django_assert_num_queries(11):
            client.get(url("list", patient))


class TestUpload:
    def test_several_files_at_once_attached_to_a_reading(
        self, client: Client, patient: Patient, secondary: User
    ) -> None:
        reading = add_reading(secondary, patient, "heart_rate", Decimal(72))
        client.force_login(secondary)
        form = client.get(url("upload", patient), {"measurement": reading.pk})
        assert 'capture="environment"' in form.content.decode()
        response = client.post(
            url("upload", patient) + f"?measurement={reading.pk}",
            {
                "upload": [
                    SimpleUploadedFile("a.png", png_bytes()),
                    SimpleUploadedFile("b.txt", b"after the walk\n"),
                    SimpleUploadedFile("c.exe", b"MZ" * 50),
                ],
                "measurement": str(reading.pk),
                "form_token": str(uuid.uuid4()),
            },
            follow=True,
        )
        page = response.content.decode()
        assert "2 files kept." in page
        assert "c.exe: this kind of file is not accepted" in page
        with acting_as(secondary.pk):
            assert sorted(reading.files.values_list("file_name", flat=True)) == ["a", "b"]

    def test_all_refused_shows_the_form_again_with_the_reasons(
        self, client: Client, patient: Patient, secondary: User
    ) -> None:
        client.force_login(secondary)
        response = client.post(
            url("upload", patient),
            {"upload": [SimpleUploadedFile("c.exe", b"MZ" * 50)], "keep_location": "on"},
        )
        page = response.content.decode()
        assert response.status_code == 200
        assert "Not kept:" in page
        assert 'id="id_keep_location" checked' in page

    def test_a_file_over_the_limit_is_not_even_received(
        self, client: Client, patient: Patient, secondary: User, settings
    ) -> None:
        settings.FILE_MAX_MB = 1
        client.force_login(secondary)
        response = client.post(
            url("upload", patient),
            {
                "upload": [
                    SimpleUploadedFile("scan.txt", b"z" * (1024 * 1024 + 10)),
                    SimpleUploadedFile("ok.txt", b"fine\n"),
                ]
            },
            follow=True,
        )
        page = response.content.decode()
        assert "1 file kept." in page
        assert "scan.txt is larger than 1.0\xa0MB: it was not sent." in page

    def test_nothing_chosen(self, client: Client, patient: Patient, secondary: User) -> None:
        client.force_login(secondary)
        page = client.post(url("upload", patient), {}).content.decode()
        assert "Choose at least one file." in page

    def test_the_page_script_is_told_where_to_go(
        self, client: Client, patient: Patient, secondary: User
    ) -> None:
        client.force_login(secondary)
        response = client.post(
            url("upload", patient),
            {"upload": [SimpleUploadedFile("a.png", png_bytes())]},
            headers={"X-Upload": "1"},
        )
        assert response.status_code == 201
        assert response["X-Location"] == url("list", patient)


class TestServing:
    def test_a_download_is_checked_logged_and_private(
        self, client: Client, patient: Patient, viewer: User
    ) -> None:
        bob = User.objects.get(email="bob@example.com")
        text = add_file(bob, patient, "notes.txt", b"<b>not html</b>\n")
        client.force_login(viewer)
        response = client.get(url("download", patient, text))
        assert response.status_code == 200
        assert b"".join(response.streaming_content) == b"<b>not html</b>\n"
        assert response["Content-Type"] == "text/plain"
        assert response["Content-Disposition"] == 'attachment; filename="notes.txt"'
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Cache-Control"] == "private, no-store"
        # Shown inline? Only images and PDFs; text still downloads.
        inline = client.get(url("view", patient, text))
        assert inline["Content-Disposition"].startswith("attachment")
        with system_context("test"):
            logged = AccessLog.objects.filter(object_type="file", object_id=str(text.pk))
            assert set(logged.values_list("action", "actor_id")) == {("download", viewer.pk)}

    def test_images_inline_and_pdfs_sandboxed(
        self, client: Client, patient: Patient, primary: User
    ) -> None:
        from files.tests.test_uploads import pdf_bytes

        client.force_login(primary)
        photo = the_photo(patient)
        response = client.get(url("view", patient, photo))
        assert response["Content-Type"] == "image/png"
        assert response["Content-Disposition"] == 'inline; filename="blood pressure cuff.png"'
        pdf = add_file(primary, patient, "letter.pdf", pdf_bytes())
        response = client.get(url("view", patient, pdf))
        assert response["Content-Security-Policy"].startswith("sandbox")
        thumbnail = client.get(url("thumbnail", patient, photo))
        assert thumbnail["Content-Type"] == "image/webp"

    def test_a_stranger_cannot_download_by_guessing_ids(
        self, client: Client, patient: Patient, stranger: User, other_patient: Patient
    ) -> None:
        photo = the_photo(patient)
        client.force_login(stranger)
        for name in ("download", "view", "thumbnail", "detail"):
            assert client.get(url(name, patient, photo)).status_code == 404
            # Their own patient's path with our file's id: still nothing.
            assert client.get(url(name, other_patient, photo)).status_code == 404
        for name in ("shared_download", "shared_view", "shared_thumbnail", "shared_detail"):
            assert client.get(reverse(f"files:{name}", args=[photo.pk])).status_code == 404
        with acting_as(stranger.pk):
            assert not File.objects.filter(pk=photo.pk).exists()  # and the database agrees

    def test_files_permission_none_hides_them(
        self, client: Client, patient: Patient, secondary: User
    ) -> None:
        from caregivers.models import PatientCaregiver

        with system_context("test"):
            PatientCaregiver.objects.filter(patient=patient, caregiver=secondary).update(
                permissions={"files": "none"}
            )
        client.force_login(secondary)
        # The policy's answer to a member whose permissions exclude files.
        assert client.get(url("download", patient, the_photo(patient))).status_code == 403
        with acting_as(secondary.pk):
            assert not File.objects.filter(patient=patient).exists()


class TestSharing:
    def test_the_person_shared_with_sees_that_file_only(
        self, client: Client, patient: Patient
    ) -> None:
        photo = the_photo(patient)
        client.force_login(nora())
        listing = client.get(reverse("files:shared")).content.decode()
        assert "blood pressure cuff" in listing
        assert "from Alice Primary" in listing
        assert client.get(reverse("files:shared_view", args=[photo.pk])).status_code == 200
        assert client.get(url("list", patient)).status_code == 404  # not the patient's files
        with acting_as(nora().pk):
            assert list(File.objects.values_list("pk", flat=True)) == [photo.pk]
            assert not Patient.objects.exists()
        (told,) = notifications_of(nora(), "file_shared")
        assert told.title == "Alice Primary shared a document with you"
        assert told.patient_id is None

    def test_revoking_works_at_once(self, client: Client, patient: Patient, primary: User) -> None:
        photo = the_photo(patient)
        with system_context("test"):
            share = FileShare.objects.get(file=photo)
        client.force_login(primary)
        response = client.post(url("share_revoke", patient, photo, share_id=share.pk), follow=True)
        assert "Nora Nurse can no longer see it." in response.content.decode()
        client.force_login(nora())
        assert client.get(reverse("files:shared_view", args=[photo.pk])).status_code == 404
        assert "Nothing is shared with you" in client.get(reverse("files:shared")).content.decode()
        with acting_as(nora().pk):
            assert not File.objects.exists()

    def test_an_expired_share_stops_working(self, client: Client, patient: Patient) -> None:
        photo = the_photo(patient)
        with system_context("test"):
            FileShare.objects.filter(file=photo).update(
                expires_at=timezone.now() - dt.timedelta(seconds=1)
            )
        client.force_login(nora())
        assert client.get(reverse("files:shared_download", args=[photo.pk])).status_code == 404
        with acting_as(nora().pk):
            assert not File.objects.exists()  # the database's rule, on its own clock

    def test_sharing_needs_an_account_outside_the_team(
        self, client: Client, patient: Patient, primary: User
    ) -> None:
        photo = the_photo(patient)
        client.force_login(primary)
        for email, says in [
            ("nobody@example.com", "Nobody with a MedTrack account uses nobody@example.com"),
            ("bob@example.com", "is on the care team and can already see"),
            ("alice@example.com", "You can already see this file."),
        ]:
            page = client.post(url("share", patient, photo), {"email": email}).content.decode()
            assert says in page, email
            assert f'value="{email}"' in page  # what was typed stays

    def test_sharing_again_renews_and_expires(
        self, client: Client, patient: Patient, primary: User
    ) -> None:
        photo = the_photo(patient)
        client.force_login(primary)
        client.post(url("share", patient, photo), {"email": "nora@example.com", "days": "1"})
        with system_context("test"):
            (share,) = FileShare.objects.filter(file=photo, revoked_at__isnull=True)
        assert share.expires_at == pytest.approx(
            timezone.now() + dt.timedelta(days=1), abs=dt.timedelta(minutes=1)
        )

    def test_a_viewer_cannot_share(self, client: Client, patient: Patient, viewer: User) -> None:
        client.force_login(viewer)
        response = client.post(url("share", patient, the_photo(patient)), {"email": "x@x.com"})
        assert response.status_code == 403


@pytest.mark.db_behaviour
def test_the_person_shared_with_can_read_but_never_write(patient: Patient) -> None:
    from django.db import DatabaseError, transaction

    photo = the_photo(patient)
    with system_context("test"):
        share = FileShare.objects.get(file=photo)
    for statement, params in [
        ("UPDATE files SET file_name = 'mine' WHERE id = %s", [photo.pk]),
        ("UPDATE file_shares SET expires_at = NULL, revoked_at = NULL WHERE id = %s", [share.pk]),
        ("DELETE FROM files WHERE id = %s", [photo.pk]),
    ]:
        with acting_as(nora().pk), connection.cursor() as cursor:
            try:
                with transaction.atomic():
                    cursor.execute(statement, params)
                    changed = cursor.rowcount
            except DatabaseError:
                changed = 0
        assert changed == 0, statement
    assert the_photo(patient).file_name == "blood pressure cuff"


def notifications_of(user: User, type: str) -> list[Notification]:
    with acting_as(user.pk):
        return list(Notification.objects.filter(type=type))


class TestChanges:
    def test_rename_and_note(self, client: Client, patient: Patient, primary: User) -> None:
        photo = the_photo(patient)
        client.force_login(primary)
        client.post(
            url("detail", patient, photo),
            {
                "file_name": "Cuff, left arm",
                "note": "Measured sitting.",
                "version": photo.updated_at,
            },
        )
        renamed = the_photo(patient)
        assert (renamed.file_name, renamed.note) == ("Cuff, left arm", "Measured sitting.")

    def test_deleting_removes_the_stored_objects(
        self, client: Client, patient: Patient, primary: User, django_capture_on_commit_callbacks
    ) -> None:
        photo = the_photo(patient)
        assert default_storage.exists(photo.storage_path)
        client.force_login(primary)
        assert "cannot be undone" in client.get(url("delete", patient, photo)).content.decode()
        with django_capture_on_commit_callbacks(execute=True):
            client.post(url("delete", patient, photo))
        assert not default_storage.exists(photo.storage_path)
        assert not default_storage.exists(photo.metadata["thumbnail"])
        with system_context("test"):
            assert not FileShare.objects.filter(file_id=photo.pk).exists()  # cascade

    def test_deleting_a_reading_or_entry_keeps_its_files(
        self, patient: Patient, primary: User, viewer: User
    ) -> None:
        photo = the_photo(patient)
        from conftest import as_member

        with acting_as(primary.pk):
            measurements.measurement_delete(
                patient=as_member(primary, patient, Area.MEASUREMENTS),
                actor=primary,
                measurement=photo.measurement,
            )
        kept = the_photo(patient)
        assert kept.measurement_id is None
        entry = write_journal(primary, patient, dt.date(2026, 1, 5), mood=3)
        note = add_file(primary, patient, "diary.txt", b"slept badly\n", log=entry)
        from journal import services as journal

        with acting_as(primary.pk):
            journal.entry_delete(
                patient=as_member(primary, patient, Area.LOGS), actor=primary, entry=entry
            )
        with system_context("test"):
            assert File.objects.get(pk=note.pk).log_id is None

    def test_the_purge_deletes_files_first(
        self, patient: Patient, primary: User, django_capture_on_commit_callbacks
    ) -> None:
        from patients.services import patients_purge

        photo = the_photo(patient)
        with system_context("test"):
            Patient.objects.filter(pk=patient.pk).update(
                is_deleted=True, deleted_at=timezone.now() - dt.timedelta(days=400)
            )
        with django_capture_on_commit_callbacks(execute=True):  # objects go after the commit
            assert [p.pk for p in patients_purge(now=timezone.now())] == [patient.pk]
        assert not default_storage.exists(photo.storage_path)
        with system_context("test"), connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM files WHERE patient_id = %s", [patient.pk])
            assert cursor.fetchone()[0] == 0


def test_a_second_share_at_once_makes_one_live_share(patient: Patient, primary: User) -> None:
    photo = the_photo(patient)
    with system_context("test"):
        assert FileShare.objects.filter(file=photo, revoked_at__isnull=True).count() == 1
    make_user("olga@example.com", "Olga Other")
    from conftest import as_member
    from files import services

    for _ in range(2):
        with acting_as(primary.pk):
            services.file_share(
                patient=as_member(primary, patient, Area.FILES),
                actor=primary,
                file=photo,
                email="olga@example.com",
                expires_at=None,
            )
    with system_context("test"):
        assert FileShare.objects.filter(file=photo, revoked_at__isnull=True).count() == 2


def test_the_admin_shows_facts_but_no_way_to_the_file(
    client: Client, staff: User, patient: Patient
) -> None:
    photo = the_photo(patient)
    client.force_login(staff)
    break_glass(staff, patient)  # the admin shows a patient's files only under emergency access
    for path in (
        reverse("admin:files_file_changelist"),
        reverse("admin:files_file_change", args=[photo.pk]),
        reverse("admin:files_fileshare_changelist") + "?state=live",
    ):
        page = client.get(path)
        assert page.status_code == 200, path
        html = page.content.decode()
        assert "/download/" not in html
        assert "/view/" not in html
    change = client.get(reverse("admin:files_file_change", args=[photo.pk])).content.decode()
    assert photo.storage_path in change  # a fact, as text
    assert f'href="{photo.storage_path}' not in change
