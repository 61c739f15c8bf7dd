"""The operator commands: purge_deleted and expire, each with --dry-run."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.conf import settings
from django.core.files.storage import default_storage
from django.core.management import CommandError, call_command
from django.test import TestCase
from django.utils import timezone

from accounts.models import ApiToken, FormDraft, User
from caregivers.models import CaregiverInvitation
from conftest import as_member, make_patient, work_tasks
from exports.models import ExportJob
from medtrack.rls import acting_as, system_context
from patients.models import Patient
from patients.services import patient_soft_delete

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def count(model: type) -> int:
    with system_context("test"):
        return model.objects.count()


def delete_patient(patient: Patient, user: User, days_ago: int) -> None:
    with acting_as(user.pk):
        patient_soft_delete(
            patient=as_member(user, patient),
            actor=user,
            now=timezone.now() - dt.timedelta(days=days_ago),
        )


def test_purge_deleted_dry_run_lists_ids_and_counts_and_deletes_nothing(
    patient: Patient, primary: User
) -> None:
    recent = make_patient(primary, "Recently Deleted")
    delete_patient(patient, primary, days_ago=settings.PATIENT_RETENTION_DAYS + 1)
    delete_patient(recent, primary, days_ago=1)

    out = run("purge_deleted", "--dry-run")

    assert str(patient.pk) in out
    assert str(recent.pk) not in out
    assert "Would purge 1 patient(s)." in out
    assert "Rosa" not in out  # ids, never names
    with system_context("test"):
        assert Patient.objects.filter(pk=patient.pk).exists()


def test_purge_deleted_deletes_patients_past_retention_and_is_idempotent(
    patient: Patient, primary: User
) -> None:
    recent = make_patient(primary, "Recently Deleted")
    delete_patient(patient, primary, days_ago=settings.PATIENT_RETENTION_DAYS + 1)
    delete_patient(recent, primary, days_ago=1)

    assert "Purged 1 patient(s)." in run("purge_deleted")
    assert "Purged 0 patient(s)." in run("purge_deleted")
    with system_context("test"):
        assert set(Patient.objects.values_list("pk", flat=True)) == {recent.pk}
        assert not ExportJob.objects.filter(patient_id=patient.pk).exists()  # cascaded


def test_the_former_name_still_purges(patient: Patient, primary: User) -> None:
    delete_patient(patient, primary, days_ago=settings.PATIENT_RETENTION_DAYS + 1)
    assert "Purged 1 patient(s)." in run("purge_deleted_patients")


def test_expire_dry_run_counts_everything_and_changes_nothing(
    patient: Patient, time_machine
) -> None:
    time_machine.move_to(timezone.now() + dt.timedelta(days=settings.INVITATION_VALID_DAYS + 1))

    out = run("expire", "--dry-run")

    assert "invitations: 1 invitation(s) would be expired" in out
    assert "drafts: 1 form draft(s) would be deleted" in out
    assert "tokens: 0 personal token(s) would be deleted" in out
    assert "Dry run: nothing was changed." in out
    with system_context("test"):
        assert CaregiverInvitation.objects.get(patient=patient).status == "pending"
    assert count(FormDraft) == 1


def test_expire_invitations_and_drafts(patient: Patient, time_machine) -> None:
    time_machine.move_to(timezone.now() + dt.timedelta(days=settings.INVITATION_VALID_DAYS + 1))

    out = run("expire", "--what", "invitations,drafts")

    assert "invitations: 1 invitation(s) expired" in out
    assert "drafts: 1 form draft(s) deleted" in out
    assert "tokens" not in out
    with system_context("test"):
        assert CaregiverInvitation.objects.get(patient=patient).status == "expired"
    assert count(FormDraft) == 0
    assert "invitations: 0" in run("expire", "--what", "invitations")  # idempotent


def test_expire_tokens_deletes_those_stopped_longer_ago_than_the_grace_period(
    patient: Patient, primary: User
) -> None:
    now = timezone.now()
    grace = dt.timedelta(days=settings.API_TOKEN_KEEP_DAYS)
    with system_context("test"):
        long_revoked, just_expired = ApiToken.objects.filter(user=primary)
        ApiToken.objects.filter(pk=long_revoked.pk).update(
            revoked_at=now - grace - dt.timedelta(days=1)
        )
        ApiToken.objects.filter(pk=just_expired.pk).update(expires_at=now - dt.timedelta(days=1))

    assert "tokens: 1 personal token(s) would be deleted" in run(
        "expire", "--what", "tokens", "--dry-run"
    )
    assert count(ApiToken) == 2
    assert "tokens: 1 personal token(s) deleted" in run("expire", "--what", "tokens")
    with system_context("test"):
        # Expired yesterday: still listed for its owner.
        assert list(ApiToken.objects.values_list("pk", flat=True)) == [just_expired.pk]


def test_expire_exports_deletes_their_files_from_storage(patient: Patient, time_machine) -> None:
    work_tasks()  # the fixture's PDF export is made
    with system_context("test"):
        job = ExportJob.objects.select_related("file").get(patient=patient)
    assert job.status == "completed"
    path = job.file.storage_path
    time_machine.move_to(timezone.now() + dt.timedelta(days=settings.EXPORT_KEEP_DAYS + 1))

    assert "exports: 1 export(s) would be" in run("expire", "--what", "exports", "--dry-run")
    assert default_storage.exists(path)
    with TestCase.captureOnCommitCallbacks(execute=True):
        assert "exports: 1 export(s) expired" in run("expire", "--what", "exports")

    assert not default_storage.exists(path)
    with system_context("test"):
        assert ExportJob.objects.get(pk=job.pk).status == "expired"


def test_expire_refuses_an_unknown_kind() -> None:
    with pytest.raises(CommandError, match="Unknown --what sessions"):
        run("expire", "--what", "sessions")
