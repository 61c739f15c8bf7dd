"""Logs: one JSON line per request, and every record of a request carries its id."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from accounts.models import User
from audit.models import AccessLog
from conftest import PASSWORD
from medtrack.logs import JsonFormatter, RequestContextFilter
from medtrack.rls import system_context
from medtrack.tests.test_settings import load_settings
from patients.forms import initial_from
from patients.models import Patient

pytestmark = pytest.mark.django_db


@pytest.fixture
def log_lines() -> Iterator[io.StringIO]:
    """What the production handler (LOG_FORMAT=json) writes, caught in a buffer."""
    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    handler.addFilter(RequestContextFilter())
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield buffer
    finally:
        root.removeHandler(handler)


def records(buffer: io.StringIO, logger: str | None = None) -> list[dict]:
    lines = [json.loads(line) for line in buffer.getvalue().splitlines()]
    return [line for line in lines if logger is None or line["logger"] == logger]


def request_lines(buffer: io.StringIO) -> list[dict]:
    return records(buffer, "medtrack.request")


def test_a_request_makes_one_json_line(client: Client, log_lines: io.StringIO) -> None:
    response = client.get(reverse("accounts:login"))

    (line,) = request_lines(log_lines)
    assert line["request_id"] == response["X-Request-ID"]
    assert line["level"] == "INFO"
    assert line["message"] == "GET /accounts/login/ 200"
    assert (line["method"], line["path"], line["status"]) == ("GET", "/accounts/login/", 200)
    assert line["view"] == "accounts:login"
    assert line["duration_ms"] >= 0
    assert line["timestamp"].endswith("+00:00")
    assert "user_id" not in line  # nobody signed in


def test_the_line_names_the_user_by_id_only(
    client: Client, primary: User, patient: Patient, log_lines: io.StringIO
) -> None:
    client.force_login(primary)
    client.get(reverse("patients:detail", args=[patient.pk]))

    (line,) = request_lines(log_lines)
    assert line["user_id"] == str(primary.pk)
    assert primary.email not in log_lines.getvalue()
    assert primary.name not in log_lines.getvalue()


def test_the_request_id_is_the_one_in_the_history_of_a_write(
    client: Client, primary: User, patient: Patient, log_lines: io.StringIO
) -> None:
    client.force_login(primary)
    data = {**initial_from(patient), "name": "Rosa P. García"}
    data["allergies"], data["medical_conditions"] = ["penicillin"], []
    response = client.post(reverse("patients:edit", args=[patient.pk]), data)
    assert response.status_code == 302

    with system_context("test"), connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.metadata FROM patients_patientevent e "
            "JOIN pghistory_context c ON c.id = e.pgh_context_id "
            "WHERE e.pgh_obj_id = %s ORDER BY e.pgh_id DESC LIMIT 1",
            [patient.pk],
        )
        (metadata,) = cursor.fetchone()
    (line,) = request_lines(log_lines)
    assert line["request_id"] == response["X-Request-ID"] == json.loads(metadata)["request_id"]


def test_the_request_id_is_the_one_in_the_access_log(
    client: Client, primary: User, log_lines: io.StringIO
) -> None:
    response = client.post(
        reverse("accounts:login"), {"username": primary.email, "password": PASSWORD}
    )
    assert response.status_code == 302

    with system_context("test"):
        entry = AccessLog.objects.get(action="login")
    (line,) = request_lines(log_lines)
    assert line["request_id"] == response["X-Request-ID"] == entry.request_id
    assert line["user_id"] == str(primary.pk)  # signed in by the end


def test_a_load_balancers_request_id_is_kept(client: Client, log_lines: io.StringIO) -> None:
    response = client.get(reverse("accounts:login"), HTTP_X_REQUEST_ID="lb-0123456789abcdef")

    assert response["X-Request-ID"] == "lb-0123456789abcdef"
    assert request_lines(log_lines)[0]["request_id"] == "lb-0123456789abcdef"


def test_every_record_made_during_a_request_carries_its_id(
    client: Client, settings, tmp_path: Path, log_lines: io.StringIO
) -> None:
    # The health check logs why the storage failed, from inside the request.
    blocker = tmp_path / "file"
    blocker.write_text("")
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": blocker / "media"},
        },
    }
    response = client.get("/healthz")

    (failure,) = records(log_lines, "medtrack.health")
    assert failure["request_id"] == response["X-Request-ID"]
    assert "Traceback" in failure["exc_info"]
    # A failing probe is logged; passing ones are not (they are DEBUG).
    assert request_lines(log_lines)[0]["status"] == 503


def test_a_passing_health_probe_is_not_logged_at_info(
    client: Client, log_lines: io.StringIO
) -> None:
    client.get("/healthz")
    assert request_lines(log_lines) == []


def test_a_secret_in_the_url_is_logged_as_the_urls_pattern(
    client: Client, log_lines: io.StringIO
) -> None:
    client.get(reverse("appointments:feed", args=["s3cr3t-calendar-token"]))
    client.get(reverse("caregivers:invitation", args=["s3cr3t-invitation-token"]))

    assert "s3cr3t" not in log_lines.getvalue()
    paths = [line["path"] for line in request_lines(log_lines)]
    assert paths == ["/calendar/<str:secret>.ics", "/invitations/<str:token>/"]


def test_records_outside_a_request_have_no_request_fields(log_lines: io.StringIO) -> None:
    logging.getLogger("medtrack.jobs").warning("a job said %s", "hello")

    (line,) = records(log_lines, "medtrack.jobs")
    assert line["message"] == "a job said hello"
    assert "request_id" not in line
    assert "user_id" not in line


def test_production_logs_json_and_development_text() -> None:
    code = (
        "from django.conf import settings as s; import django; django.setup(); "
        "print(s.LOG_FORMAT, s.LOGGING['handlers']['console']['formatter'])"
    )
    production = load_settings(
        code, SECRET_KEY="x" * 50, ALLOWED_HOSTS="medtrack.example", LOG_FORMAT=""
    )
    development = load_settings(code, DEBUG="true", LOG_FORMAT="")
    chosen = load_settings(code, DEBUG="true", LOG_FORMAT="json")

    assert production.stdout.split() == ["json", "json"], production.stderr
    assert development.stdout.split() == ["text", "text"], development.stderr
    assert chosen.stdout.split() == ["json", "json"], chosen.stderr


def test_an_unknown_log_format_stops_the_start() -> None:
    result = load_settings("import django; django.setup()", DEBUG="true", LOG_FORMAT="yaml")
    assert result.returncode != 0
    assert "LOG_FORMAT" in result.stderr
