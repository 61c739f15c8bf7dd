"""The embedded PostgreSQL starts, survives a killed run, and repairs its bookkeeping.

Each test runs the start script in a subprocess on its own data directory,
as ``make run`` does, so the server the suite uses is never touched.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from django.conf import settings

pytestmark = pytest.mark.skipif(
    not settings.EMBEDDED_DATABASE, reason="DATABASE_URL is set: the embedded server is not used"
)


def run(var_dir: Path, action: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "MEDTRACK_VAR_DIR": str(var_dir)}
    return subprocess.run(
        [sys.executable, "-m", "medtrack.embedded_db", action],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def app_answers(var_dir: Path) -> str:
    url = (var_dir / "database_url").read_text().strip()
    with psycopg.connect(url.replace("postgres://", "postgresql://"), connect_timeout=5) as conn:
        return conn.execute("SELECT current_user").fetchone()[0]


@pytest.fixture
def var_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    # A short path: the server's socket lives in the data directory when it fits.
    path = Path(tmp_path_factory.mktemp("pg", numbered=True))
    yield path
    run(path, "stop")


def test_start_creates_a_provisioned_server_that_the_app_role_can_use(var_dir: Path) -> None:
    result = run(var_dir, "start")
    assert result.returncode == 0, result.stderr
    assert app_answers(var_dir) == "medtrack_app"
    assert run(var_dir, "status").stdout.strip() == "running"


def test_a_second_start_reuses_the_running_server(var_dir: Path) -> None:
    run(var_dir, "start")
    pid = (var_dir / "pgdata" / "postmaster.pid").read_text().split()[0]
    assert run(var_dir, "start").returncode == 0
    assert (var_dir / "pgdata" / "postmaster.pid").read_text().split()[0] == pid


def test_start_recovers_after_the_server_was_killed_and_bookkeeping_corrupted(
    var_dir: Path,
) -> None:
    run(var_dir, "start")
    pgdata = var_dir / "pgdata"
    pid = int((pgdata / "postmaster.pid").read_text().split()[0])
    os.kill(pid, signal.SIGKILL)  # and restart at once, before the zombie is reaped
    (pgdata / ".handle_pids.json").write_text("")  # what a killed holder leaves, 1 run in 4
    assert (pgdata / "postmaster.pid").exists()  # stale

    result = run(var_dir, "start")

    assert result.returncode == 0, result.stderr
    assert app_answers(var_dir) == "medtrack_app"


def test_stop_stops_the_server(var_dir: Path) -> None:
    run(var_dir, "start")
    stopped = run(var_dir, "stop")
    assert stopped.returncode == 0, stopped.stderr
    status = run(var_dir, "status")
    assert status.stdout.strip() == "stopped", status.stderr
