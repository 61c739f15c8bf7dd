"""Export jobs: asked for on the page, made by the worker, downloaded, expired;
a failure says so and leaves nothing half-made; who may export."""

from __future__ import annotations

import datetime as dt
import io
import json
import uuid
import zipfile
from pathlib import Path

import pytest
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from audit.models import AccessLog
from conftest import work_tasks
from exports import services
from exports.models import ExportJob, Format
from files.models import File
from medtrack.rls import acting_as, system_context
from notifications.models import Notification
from patients.models import Patient

pytestmark = pytest.mark.django_db


def page(patient: Patient) -> str:
    return reverse("exports:list", args=[patient.pk])


def ask(client: Client, patient: Patient, format: str, token: uuid.UUID | None = None) -> None:
    today = timezone.localdate()
    client.post(
        page(patient),
        {
            "format": format,
            "date_from": (today - dt.timedelta(days=30)).isoformat(),
            "date_to": today.isoformat(),
            "form_token": str(token or uuid.uuid4()),
        },
    )


def jobs_of(patient: Patient, format: str) -> list[ExportJob]:
    with system_context("test"):
        return list(
            ExportJob.objects.filter(patient=patient, format=format).select_related("file")
        )


def test_a_csv_export_is_made_notified_and_downloaded(
    client: Client, patient: Patient, secondary: User
) -> None:
    client.force_login(secondary)
    token = uuid.uuid4()
    ask(client, patient, Format.CSV, token)
    ask(client, patient, Format.CSV, token)  # a double submit
    (job,) = jobs_of(patient, Format.CSV)
    assert job.status == "pending"
    assert "Waiting" in client.get(page(patient)).content.decode()
    assert 'hx-trigger="every 2s"' in client.get(page(patient)).content.decode()
    work_tasks()
    (job,) = jobs_of(patient, Format.CSV)
    assert job.status == "completed"
    assert job.expires_at == job.completed_at + dt.timedelta(days=7)
    listing = client.get(page(patient)).content.decode()
    assert "Download" in listing
    assert 'hx-trigger="every 2s"' not in listing  # nothing left to wait for
    response = client.get(reverse("exports:download", args=[patient.pk, job.pk]))
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    assert "measurements.csv" in archive.namelist()
    with acting_as(secondary.pk):
        (ready,) = Notification.objects.filter(type="export_ready")
    assert ready.title == "Your export for Rosa Primary is ready"
    with system_context("test"):
        actions = set(
            AccessLog.objects.filter(patient_id=patient.pk).values_list("action", "object_type")
        )
    assert ("export", "export:csv") in actions
    assert ("download", "file") in actions
    # Not among the patient's documents and photos.
    assert (
        job.file.file_name
        not in client.get(reverse("files:list", args=[patient.pk])).content.decode()
    )


def test_a_failure_is_shown_and_leaves_nothing_half_made(
    client: Client, patient: Patient, secondary: User, monkeypatch
) -> None:
    def broken(record):
        raise RuntimeError("the printer caught fire")

    monkeypatch.setitem(services.BUILDERS, Format.JSON, (broken, "application/json", "json"))
    client.force_login(secondary)
    ask(client, patient, Format.JSON)
    failed = [t for t in work_tasks() if t.task_name == "run_export" and t.status == "FAILED"]
    assert len(failed) == 1  # the task fails visibly (the admin shows its traceback)
    (job,) = jobs_of(patient, Format.JSON)
    assert job.status == "failed"
    assert job.file is None
    assert (
        "The export could not be made (something went wrong while making it)."
        in client.get(page(patient)).content.decode()
    )
    with system_context("test"):
        assert not File.objects.filter(metadata__export=str(job.pk)).exists()
    assert not default_storage.exists(f"patients/{patient.pk}/exports/{job.pk}.json")


def test_exports_expire(client: Client, patient: Patient, secondary: User, time_machine) -> None:
    client.force_login(secondary)
    ask(client, patient, Format.FHIR)
    work_tasks()
    (job,) = jobs_of(patient, Format.FHIR)
    path = job.file.storage_path
    time_machine.move_to(timezone.now() + dt.timedelta(days=8))
    from django.test import TestCase

    with TestCase.captureOnCommitCallbacks(execute=True):
        assert services.exports_expire(now=timezone.now()) >= 1
    (job,) = jobs_of(patient, Format.FHIR)
    assert (job.status, job.file) == ("expired", None)
    assert not default_storage.exists(path)
    client.force_login(secondary)  # (a week later: a new sign-in)
    assert client.get(reverse("exports:download", args=[patient.pk, job.pk])).status_code == 404


def test_viewers_cannot_export_and_strangers_get_404(
    client: Client, patient: Patient, viewer: User, stranger: User
) -> None:
    client.force_login(viewer)
    assert client.get(page(patient)).status_code == 403
    client.force_login(stranger)
    assert client.get(page(patient)).status_code == 404
    (job,) = jobs_of(patient, Format.PDF)  # the fixture's
    download = reverse("exports:download", args=[patient.pk, job.pk])
    assert client.get(download).status_code == 404


def test_operators_export_from_the_command_line(patient: Patient, tmp_path: Path) -> None:
    output = tmp_path / "rosa.json"
    out = io.StringIO()
    call_command(
        "export_patient", str(patient.pk), "--format", "fhir", "--output", str(output), stdout=out
    )
    assert output.read_bytes().startswith(b"{")
    assert "bytes written" in out.getvalue()
    with system_context("test"):
        assert AccessLog.objects.filter(
            patient_id=patient.pk, action="export", object_type="export:fhir"
        ).exists()


def test_what_a_member_may_not_see_stays_out_of_their_export(
    client: Client, patient: Patient, secondary: User
) -> None:
    from caregivers.models import PatientCaregiver

    with system_context("test"):
        PatientCaregiver.objects.filter(patient=patient, caregiver=secondary).update(
            permissions={"measurements": "none", "logs": "none"}
        )
    client.force_login(secondary)
    ask(client, patient, Format.JSON)
    work_tasks()
    (job,) = jobs_of(patient, Format.JSON)
    response = client.get(reverse("exports:download", args=[patient.pk, job.pk]))
    document = json.loads(b"".join(response.streaming_content))
    assert document["measurements"] == []
    assert document["daily_logs"] == []
    assert document["medications"]  # what they may see is there


def test_someone_who_left_the_team_gets_no_export(patient: Patient, secondary: User) -> None:
    from caregivers.models import PatientCaregiver

    with acting_as(secondary.pk):
        from conftest import as_member

        job = services.export_request(
            patient=as_member(
                secondary, patient, __import__("patients.access").access.Area.EXPORTS
            ),
            actor=secondary,
            format=Format.CSV,
            date_from=timezone.localdate() - dt.timedelta(days=7),
            date_to=timezone.localdate(),
        )
    with system_context("test"):
        PatientCaregiver.objects.filter(patient=patient, caregiver=secondary).update(
            is_active=False
        )
    work_tasks()
    with system_context("test"):
        job.refresh_from_db()
    assert job.status == "failed"
    assert "no longer export" in job.error


def test_nobody_else_gets_my_export(
    client: Client, patient: Patient, primary: User, secondary: User
) -> None:
    client.force_login(primary)
    ask(client, patient, Format.JSON)
    work_tasks()
    (job,) = jobs_of(patient, Format.JSON)
    client.force_login(secondary)
    assert client.get(reverse("exports:download", args=[patient.pk, job.pk])).status_code == 404
    assert str(job.pk) not in client.get(page(patient)).content.decode()
    file_pages = [
        reverse(f"files:{name}", args=[patient.pk, job.file_id])
        for name in ("detail", "download", "view")
    ]
    for url in file_pages:  # nor through the documents pages
        assert client.get(url).status_code == 404, url


def test_an_export_whose_worker_died_fails_after_a_while(
    patient: Patient, primary: User, time_machine
) -> None:
    (job,) = jobs_of(patient, Format.PDF)  # the fixture's, never made
    with system_context("test"):
        ExportJob.objects.filter(pk=job.pk).update(status="running", started_at=timezone.now())
    time_machine.move_to(timezone.now() + dt.timedelta(hours=1))
    services.exports_expire(now=timezone.now())
    (job,) = jobs_of(patient, Format.PDF)
    assert job.status == "failed"
    assert "took too long" in job.error


def test_the_worker_makes_the_pdf_in_the_language_of_whoever_asked(
    client: Client, patient: Patient, secondary: User
) -> None:
    """The worker has no language of its own: Bob's Spanish decides the report's."""
    from pypdf import PdfReader

    from accounts.models import UserSettings

    UserSettings.objects.filter(user=secondary).update(language="es")
    client.force_login(secondary)
    ask(client, patient, Format.PDF)
    work_tasks()
    (job,) = [job for job in jobs_of(patient, Format.PDF) if job.requested_by_id == secondary.pk]
    assert job.status == "completed"
    response = client.get(reverse("exports:download", args=[patient.pk, job.pk]))
    reader = PdfReader(io.BytesIO(b"".join(response.streaming_content)))
    text = "\n".join(page.extract_text() for page in reader.pages)
    assert "Medicación actual" in text
    assert "Página 1 /" in text
    assert "Current medications" not in text
