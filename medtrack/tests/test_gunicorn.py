"""gunicorn with gunicorn.conf.py serves the app: started for real on a free port
against the test database, asked for /healthz and the login page, stopped with
SIGTERM the way systemd stops it."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection

pytestmark = pytest.mark.django_db
GUNICORN = Path(sys.executable).with_name("gunicorn")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def this_tests_database_url() -> str:
    """The URL of the database this test runs against (the app role, the test database)."""
    db = connection.settings_dict
    credentials = quote(db["USER"]) + (f":{quote(db['PASSWORD'])}" if db["PASSWORD"] else "")
    host = quote(db["HOST"] or "localhost", safe="")
    port = f":{db['PORT']}" if db["PORT"] else ""
    return f"postgres://{credentials}@{host}{port}/{db['NAME']}"


def get(url: str) -> tuple[int, dict[str, str], bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 - our own server
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def test_gunicorn_serves_the_app_with_our_configuration() -> None:
    port = free_port()
    env = {
        **os.environ,
        "DEBUG": "true",  # development settings: no collectstatic or HTTPS needed here
        "DATABASE_URL": this_tests_database_url(),
        "BIND": f"127.0.0.1:{port}",
        "WEB_CONCURRENCY": "1",
        "LOG_FORMAT": "json",
    }
    server = subprocess.Popen(
        [str(GUNICORN), "--config", "gunicorn.conf.py"],
        cwd=settings.BASE_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                status, headers, body = get(f"{base}/healthz")
                break
            except OSError:
                assert server.poll() is None, server.stdout.read() if server.stdout else ""
                assert time.monotonic() < deadline, "gunicorn did not start"
                time.sleep(0.2)
        assert status == 200, body
        assert json.loads(body) == {"status": "ok", "database": "ok", "storage": "ok"}
        assert headers["Server"] == "gunicorn"

        status, headers, body = get(f"{base}/accounts/login/")
        assert status == 200
        assert b'name="password"' in body
        request_id = headers["X-Request-ID"]
    finally:
        server.send_signal(signal.SIGTERM)
        output, _ = server.communicate(timeout=30)

    assert server.returncode == 0, output
    lines = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
    assert lines, output
    (login,) = [line for line in lines if line.get("view") == "accounts:login"]
    assert (login["status"], login["request_id"]) == (200, request_id)
    messages = [line["message"] for line in lines if line["logger"] == "gunicorn.error"]
    assert "Using worker: gthread" in messages
    assert "Shutting down: Master" in messages
