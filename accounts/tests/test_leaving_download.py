"""Settings → Download my data: one JSON file with everything about the person."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts import tokens
from accounts.models import ApiToken, User
from audit.models import AccessLog
from caregivers import services as caregivers
from conftest import (
    add_appointment,
    add_member,
    add_reading,
    as_member,
    make_patient,
    write_journal,
)
from medtrack.rls import acting_as, system_context
from patients.models import Patient

pytestmark = pytest.mark.django_db

URL = reverse("accounts:data_download")


def download(client: Client, user: User) -> dict[str, Any]:
    client.force_login(user)
    response = client.get(URL)
    assert response.status_code == 200
    return json.loads(b"".join(response.streaming_content))


def test_it_requires_login(client: Client) -> None:
    assert client.get(URL)["Location"].startswith(reverse("accounts:login"))


@time_machine.travel(dt.datetime(2026, 3, 1, 23, 30, tzinfo=dt.UTC), tick=False)
def test_it_is_one_attachment_named_with_the_persons_date_and_never_cached(
    client: Client, primary: User
) -> None:
    with acting_as(primary.pk):
        primary.settings.timezone = "Europe/Madrid"  # already 2 March there
        primary.settings.save()
    client.force_login(primary)

    response = client.get(URL)

    assert response["Content-Type"] == "application/json"
    assert response["Content-Disposition"] == (
        'attachment; filename="medtrack-my-data-2026-03-02.json"'
    )
    assert "no-store" in response["Cache-Control"]
    assert "private" in response["Cache-Control"]
    document = json.loads(b"".join(response.streaming_content))
    assert document["format"] == "medtrack-personal-data"
    assert document["version"] == 1
    assert document["generated_at"] == "2026-03-01T23:30:00+00:00"


def test_it_holds_the_account_settings_and_everything_of_their_own(
    client: Client, patient: Patient, primary: User
) -> None:
    document = download(client, primary)

    account = document["account"]
    assert account["email"] == "alice@example.com"
    assert account["name"] == "Alice Primary"
    assert account["id"] == str(primary.pk)
    assert {"created_at", "updated_at", "last_login"} <= set(account)
    assert document["settings"]["timezone"] == "UTC"
    assert document["settings"]["units"]["weight"] == "kg"
    assert document["notification_preferences"]["quiet_hours_start"] == "22:00:00"
    assert sorted(t["name"] for t in document["api_tokens"]) == ["Alice's phone", "Phone calendar"]
    assert [log["items"] for log in document["sync_log"]] == [12]
    assert [n["type"] for n in document["notifications"]] == ["measurement_out_of_range"]
    assert [(m["patient_name"], m["role"]) for m in document["memberships"]] == [
        ("Rosa Primary", "primary")
    ]
    # force_login signs in like the login page: the access log has it.
    assert [s["action"] for s in document["sign_ins"]] == ["login"]


def test_it_holds_what_they_recorded_in_each_table(
    client: Client, patient: Patient, primary: User
) -> None:
    recorded = download(client, primary)["recorded"]

    assert set(recorded) == {
        "patients",
        "medications",
        "doses",
        "measurements",
        "measurement_targets",
        "journal",
        "appointments",
        "files",
        "file_shares",
        "invitations",
        "exports",
    }
    assert [p["name"] for p in recorded["patients"]] == ["Rosa Primary"]
    assert [m["name"] for m in recorded["medications"]] == ["Metformin"]
    [dose] = recorded["doses"]
    assert (dose["status"], dose["medication_name"], dose["amount"]) == ("taken", "Metformin", "1")
    [reading] = recorded["measurements"]
    assert (reading["type"], reading["value"], reading["value_secondary"]) == (
        "blood_pressure",
        "150",
        "95",
    )
    assert reading["patient_name"] == "Rosa Primary"
    assert [t["type"] for t in recorded["measurement_targets"]] == ["blood_pressure"]
    [entry] = recorded["journal"]
    assert (entry["mood"], entry["sleep_hours"], entry["symptoms"]) == (4, "7.5", ["tired"])
    [appointment] = recorded["appointments"]
    assert appointment["title"] == "Cardiology check-up"
    assert (appointment["added_by_you"], appointment["you_take_them"]) == (True, False)
    assert [f["file_name"] for f in recorded["files"]] == ["blood pressure cuff"]
    [share] = recorded["file_shares"]
    assert (share["file_name"], share["shared_by_you"], share["shared_with_you"]) == (
        "blood pressure cuff",
        True,
        False,
    )
    assert [(i["email"], i["sent_by_you"]) for i in recorded["invitations"]] == [
        ("nina@example.com", True)
    ]
    assert [e["format"] for e in recorded["exports"]] == ["pdf"]
    for rows in recorded.values():
        for row in rows:
            assert not {"recorded_by_id", "created_by_id", "uploaded_by", "escort_id"} & set(row)


def test_an_appointment_they_take_the_patient_to_is_in_their_file(
    client: Client, patient: Patient, secondary: User
) -> None:
    [appointment] = download(client, secondary)["recorded"]["appointments"]
    assert appointment["title"] == "Cardiology check-up"
    assert (appointment["added_by_you"], appointment["you_take_them"]) == (False, True)


def test_nothing_of_other_families_or_other_people_appears(
    client: Client,
    patient: Patient,
    primary: User,
    secondary: User,
    stranger: User,
    other_patient: Patient,
) -> None:
    add_reading(stranger, other_patient, "weight", Decimal("81.5"), notes="stranger's scale")
    write_journal(stranger, other_patient, notes="Tomás slept badly")
    add_appointment(stranger, other_patient, "Dentist for Tomás")
    add_reading(secondary, patient, "heart_rate", Decimal(72), notes="Bob's reading")
    with acting_as(stranger.pk):
        tokens.token_create(user=stranger, name="Charlie's calendar", scopes=["calendar:read"])

    body = json.dumps(download(client, primary))

    for theirs in (
        "Tomás",
        "stranger",
        "charlie@example.com",
        "Charlie",
        "Dentist",
        "Bob's reading",
        str(other_patient.pk),
        str(stranger.pk),
    ):
        assert theirs not in body


def test_it_never_holds_secrets_or_hashes(client: Client, patient: Patient, primary: User) -> None:
    from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
    from django_otp.plugins.otp_totp.models import TOTPDevice

    with acting_as(primary.pk):
        _token, secret = tokens.token_create(user=primary, name="Laptop", scopes=["sync"])
        hashes = list(ApiToken.objects.filter(user=primary).values_list("token_hash", flat=True))
    with system_context("test"):
        totp = TOTPDevice.objects.create(user=primary, name="Authenticator", confirmed=True)
        backup = StaticDevice.objects.create(user=primary, name="Backup codes", confirmed=True)
        StaticToken.objects.create(device=backup, token="k3y8x2m9q4")

    document = download(client, primary)
    body = json.dumps(document)

    assert sorted((d["kind"], d["name"]) for d in document["two_factor_devices"]) == [
        ("staticdevice", "Backup codes"),
        ("totpdevice", "Authenticator"),
    ]
    primary.refresh_from_db()
    for hidden in (secret, *hashes, totp.key, "k3y8x2m9q4", primary.password):
        assert hidden not in body
    assert "token_hash" not in body
    assert "password" not in body


def test_what_they_recorded_for_a_family_they_left_stays_with_that_family(
    client: Client, patient: Patient, secondary: User
) -> None:
    add_reading(secondary, patient, "heart_rate", Decimal(64), notes="before leaving")
    with acting_as(secondary.pk):
        caregivers.member_leave(patient=as_member(secondary, patient), actor=secondary)

    document = download(client, secondary)

    assert document["recorded"]["measurements"] == []
    # Their own membership row is still theirs; the patient is no longer visible.
    [membership] = document["memberships"]
    assert (membership["is_active"], membership["patient_name"]) == (False, None)


def test_the_download_is_in_the_access_log(
    client: Client, patient: Patient, primary: User
) -> None:
    download(client, primary)
    with system_context("test"):
        entry = AccessLog.objects.get(action="export", object_type="personal_data")
    assert entry.actor_id == primary.pk
    assert entry.patient_id is None
    assert entry.detail["measurements"] == 1
    assert entry.path == URL


def test_it_reads_a_fixed_number_of_queries_however_much_there_is(
    client: Client, patient: Patient, primary: User, secondary: User
) -> None:
    client.force_login(primary)
    with CaptureQueriesContext(connection) as before:
        b"".join(client.get(URL).streaming_content)

    second = make_patient(primary, "Pedro Primary", dob=dt.date(1938, 5, 6))
    add_member(second, secondary, "primary")
    for hours in range(1, 6):
        add_reading(
            primary,
            second,
            "heart_rate",
            Decimal(60 + hours),
            at=timezone.now() - dt.timedelta(hours=hours),
        )
        write_journal(primary, second, day=second.today() - dt.timedelta(days=hours), mood=3)
        add_appointment(primary, second, f"Visit {hours}")
        with acting_as(primary.pk):
            tokens.token_create(user=primary, name=f"Token {hours}", scopes=["calendar:read"])
    with CaptureQueriesContext(connection) as after:
        response = client.get(URL)
        document = json.loads(b"".join(response.streaming_content))

    assert len(document["recorded"]["measurements"]) == 6
    assert len(document["memberships"]) == 2
    assert len(after) == len(before), "\n".join(q["sql"][:120] for q in after.captured_queries)


def test_files_they_uploaded_keep_only_their_metadata(
    client: Client, patient: Patient, primary: User
) -> None:
    [file] = download(client, primary)["recorded"]["files"]
    assert set(file) == {
        "patient_id",
        "patient_name",
        "id",
        "file_name",
        "mime_type",
        "size",
        "uploaded_at",
        "measurement_id",
        "log_id",
        "original_name",
        "note",
    }


def test_the_picture_is_in_the_file(client: Client, primary: User) -> None:
    import base64
    import io

    from accounts import services
    from conftest import png_bytes

    services.avatar_set(user=primary, upload=io.BytesIO(png_bytes((300, 300))))

    picture = download(client, primary)["account"]["picture"]

    assert picture["media_type"] == "image/webp"
    assert base64.b64decode(picture["base64"])[8:12] == b"WEBP"


def test_the_settings_page_offers_the_download_and_the_delete(
    client: Client, primary: User
) -> None:
    client.force_login(primary)
    content = client.get(reverse("accounts:settings")).content.decode()
    assert f'href="{URL}"' in content
    assert f'href="{reverse("accounts:delete")}"' in content


@pytest.mark.parametrize("case", ["no settings row", "no preferences"])
def test_missing_optional_rows_are_null(client: Client, primary: User, case: str) -> None:
    if case == "no settings row":
        with acting_as(primary.pk):
            primary.settings.delete()
        primary.refresh_from_db()
    document = download(client, primary)
    assert document["notification_preferences"] is None
    assert (document["settings"] is None) is (case == "no settings row")
