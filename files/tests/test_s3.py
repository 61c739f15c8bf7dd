"""The S3 path for real, over HTTP, against moto's threaded S3 server (STACK.md):
upload, list, download through a presigned URL, delete; unsigned reads refused."""

from __future__ import annotations

import logging
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import boto3
import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import User
from conftest import add_file, png_bytes
from medtrack.storage import s3_options
from patients.models import Patient

pytestmark = pytest.mark.django_db
KEYS = {"S3_ACCESS_KEY_ID": "medtrack-test", "S3_SECRET_ACCESS_KEY": "medtrack-test-secret"}


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def bucket(s3_endpoint: str, settings) -> tuple[object, str]:
    """A fresh private bucket, and MedTrack's file storage pointed at it with the
    options production uses (``medtrack.storage.s3_options``)."""
    name = f"medtrack-{uuid.uuid4().hex[:12]}"
    env = {**KEYS, "S3_REGION": "eu-west-1", "S3_ENDPOINT_URL": s3_endpoint}
    env["S3_ADDRESSING_STYLE"] = "path"
    client = boto3.client(
        "s3",
        endpoint_url=s3_endpoint,
        region_name="eu-west-1",
        aws_access_key_id=KEYS["S3_ACCESS_KEY_ID"],
        aws_secret_access_key=KEYS["S3_SECRET_ACCESS_KEY"],
    )
    client.create_bucket(
        Bucket=name, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"}
    )
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": s3_options(name, lambda key: env.get(key, ""), expire_seconds=120),
        },
    }
    return client, name


def test_the_round_trip_through_s3(
    client: Client, patient: Patient, primary: User, bucket, django_capture_on_commit_callbacks
) -> None:
    s3, name = bucket
    content = png_bytes((200, 100))
    photo = add_file(primary, patient, "wound day 3.png", content)

    # Stored privately under the patient's prefix, with its thumbnail, encrypted.
    listed = {o["Key"] for o in s3.list_objects_v2(Bucket=name)["Contents"]}
    assert listed == {photo.storage_path, photo.metadata["thumbnail"]}
    assert photo.storage_path.startswith(f"patients/{patient.pk}/")
    head = s3.head_object(Bucket=name, Key=photo.storage_path)
    assert head["ServerSideEncryption"] == "AES256"

    # The download view checks access, then redirects to a short-lived signed URL.
    client.force_login(primary)
    response = client.get(reverse("files:download", args=[patient.pk, photo.pk]), follow=False)
    assert response.status_code == 302
    signed = response["Location"]
    query = parse_qs(urlsplit(signed).query)
    assert query["X-Amz-Expires"] == ["120"]
    assert "X-Amz-Signature" in query
    with urllib.request.urlopen(signed) as fetched:  # noqa: S310 - our local test server
        assert fetched.read() == content
        assert fetched.headers["Content-Type"] == "image/png"
        assert fetched.headers["Content-Disposition"].startswith("attachment;")

    # Without the signature, S3 refuses: nothing is public.
    unsigned = signed.split("?", 1)[0]
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(unsigned)  # noqa: S310
    assert refused.value.code == 403

    # A PDF shown in the browser comes through MedTrack, sandboxed, not via a redirect.
    from files.tests.test_uploads import pdf_bytes

    letter = add_file(primary, patient, "letter.pdf", pdf_bytes())
    shown = client.get(reverse("files:view", args=[patient.pk, letter.pk]))
    assert shown.status_code == 200
    assert shown["Content-Security-Policy"].startswith("sandbox")
    assert shown["X-Content-Type-Options"] == "nosniff"
    assert b"".join(shown.streaming_content).startswith(b"%PDF-")
    assert response["Cache-Control"] == "private, no-store"  # a redirect is never cached

    # A stranger is not even redirected.
    other = User.objects.get(email="nora@example.com")
    client.force_login(other)
    assert client.get(reverse("files:download", args=[patient.pk, photo.pk])).status_code == 404

    # Deleting removes the objects.
    client.force_login(primary)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("files:delete", args=[patient.pk, photo.pk]))
        client.post(reverse("files:delete", args=[patient.pk, letter.pk]))
    assert "Contents" not in s3.list_objects_v2(Bucket=name)
