"""``/healthz``: 200 when the database and the file storage work, 503 naming the
part that does not, for load balancers — never a 500 page, never cached."""

from __future__ import annotations

import json
import logging
import os
import socket
import stat
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse

from accounts.models import User
from audit.models import AccessLog
from medtrack.rls import system_context
from medtrack.storage import s3_options

pytestmark = pytest.mark.django_db

KEYS = {"S3_ACCESS_KEY_ID": "medtrack-test", "S3_SECRET_ACCESS_KEY": "medtrack-test-secret"}


def local_storage(settings, location: Path) -> None:
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": location, "base_url": None},
        },
    }


def test_it_is_at_healthz() -> None:
    assert reverse("healthz") == "/healthz"


def test_it_says_ok_when_the_database_and_the_storage_work(client: Client, tmp_path: Path) -> None:
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"status": "ok", "database": "ok", "storage": "ok"}


def test_it_is_never_cached_and_makes_no_session(client: Client) -> None:
    response = client.get("/healthz")

    assert "no-store" in response["Cache-Control"]
    assert "max-age=0" in response["Cache-Control"]
    assert not response.cookies
    assert response["X-Request-ID"]


def test_it_leaves_nothing_behind(client: Client, settings, tmp_path: Path) -> None:
    local_storage(settings, tmp_path)
    with system_context("test"):
        logged = AccessLog.objects.count()

    client.get("/healthz")

    with system_context("test"):
        assert AccessLog.objects.count() == logged
    assert list(tmp_path.rglob("*.txt")) == []


def test_it_answers_a_signed_in_session_past_its_limit_without_ending_it(
    client: Client, primary: User, settings
) -> None:
    # The session-limit middleware never sees the probe, so it cannot sign anyone out.
    client.force_login(primary)
    key = client.session.session_key
    settings.SESSION_IDLE_MINUTES = 0
    settings.SESSION_MAX_HOURS = 0

    assert client.get("/healthz").status_code == 200
    assert Session.objects.filter(session_key=key).exists()


def test_it_answers_head_and_refuses_post(client: Client) -> None:
    assert client.head("/healthz").status_code == 200
    assert client.post("/healthz").status_code == 405


def test_it_answers_a_probe_by_address_over_plain_http(client: Client, settings) -> None:
    # Load balancers probe by IP and over HTTP; other pages redirect to HTTPS.
    settings.SECURE_SSL_REDIRECT = True
    settings.ALLOWED_HOSTS = ["medtrack.example"]

    assert client.get("/healthz", HTTP_HOST="10.0.0.7:8000").status_code == 200
    assert client.get(reverse("accounts:login"), HTTP_HOST="medtrack.example").status_code == 301


def test_it_says_503_storage_when_the_files_directory_cannot_be_created(
    client: Client, settings, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # A regular file where the directory should be: no user, root included, can write there.
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("")
    local_storage(settings, blocker / "media")

    with caplog.at_level(logging.ERROR, logger="medtrack.health"):
        response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json() == {"status": "error", "database": "ok", "storage": "error"}
    assert "not-a-directory" not in response.content.decode()  # the reason is only logged
    assert "file storage is not writable" in caplog.text


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes to read-only directories")
def test_it_says_503_storage_when_the_files_directory_is_read_only(
    client: Client, settings, tmp_path: Path
) -> None:
    tmp_path.chmod(stat.S_IRUSR | stat.S_IXUSR)
    local_storage(settings, tmp_path)
    try:
        response = client.get("/healthz")
    finally:
        tmp_path.chmod(stat.S_IRWXU)

    assert response.status_code == 503
    assert response.json()["storage"] == "error"


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


PROBE = """
import json, django
django.setup()
from django.test import Client
response = Client().get("/healthz")
print("RESULT", json.dumps([response.status_code, response.json()]))
"""


def test_it_says_503_database_when_postgresql_does_not_answer() -> None:
    # A fresh interpreter whose DATABASE_URL points at a port nobody listens on.
    env = {
        **os.environ,
        "DEBUG": "true",
        "DATABASE_URL": f"postgres://medtrack_app@127.0.0.1:{closed_port()}/medtrack",
        "LOG_FORMAT": "json",
    }
    result = subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    (outcome,) = [line for line in lines if line.startswith("RESULT ")]
    status, body = json.loads(outcome.removeprefix("RESULT "))
    assert status == 503
    assert body == {"status": "error", "database": "error", "storage": "ok"}
    (failure,) = [json.loads(line) for line in lines if "database did not answer" in line]
    assert failure["level"] == "ERROR"
    assert failure["request_id"]


# -- S3, against moto's S3 server over HTTP (as files/tests/test_s3.py) ------------------


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


def s3_storage(settings, endpoint: str, bucket: str) -> None:
    env = {**KEYS, "S3_REGION": "eu-west-1", "S3_ENDPOINT_URL": endpoint}
    env["S3_ADDRESSING_STYLE"] = "path"
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": s3_options(bucket, lambda key: env.get(key, ""), expire_seconds=120),
        },
    }


def test_it_says_ok_with_a_reachable_s3_bucket_and_leaves_no_object(
    client: Client, settings, s3_endpoint: str
) -> None:
    bucket = f"medtrack-{uuid.uuid4().hex[:12]}"
    s3 = boto3.client(
        "s3",
        endpoint_url=s3_endpoint,
        region_name="eu-west-1",
        aws_access_key_id=KEYS["S3_ACCESS_KEY_ID"],
        aws_secret_access_key=KEYS["S3_SECRET_ACCESS_KEY"],
    )
    s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    s3_storage(settings, s3_endpoint, bucket)

    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json()["storage"] == "ok"
    assert s3.list_objects_v2(Bucket=bucket).get("KeyCount") == 0


def test_it_says_503_storage_when_the_s3_bucket_is_gone(
    client: Client, settings, s3_endpoint: str
) -> None:
    s3_storage(settings, s3_endpoint, f"medtrack-missing-{uuid.uuid4().hex[:8]}")

    response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json() == {"status": "error", "database": "ok", "storage": "error"}
    assert "medtrack-missing" not in response.content.decode()
