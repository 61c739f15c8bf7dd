"""The embedded database is killed mid-run: ``make run`` afterwards starts
cleanly and nothing committed is lost (docs/operations.md).

As in test_embedded_db, the server runs on its own data directory and is
started by the start script in a subprocess, so the suite's server is never
touched. What ``make run`` runs before serving is run again after the kill:
``python -m medtrack.embedded_db start``, then ``manage.py migrate --noinput``.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import psutil
import psycopg
import pytest
from django.conf import settings

from medtrack.tests.test_embedded_db import run

pytestmark = pytest.mark.skipif(
    not settings.EMBEDDED_DATABASE, reason="DATABASE_URL is set: the embedded server is not used"
)


@pytest.fixture
def var_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    path = Path(tmp_path_factory.mktemp("pg", numbered=True))  # short: the socket fits
    yield path
    run(path, "stop")


def migrate(var_dir: Path) -> subprocess.CompletedProcess[str]:
    """``make migrate`` with var/ in ``var_dir``: the URL comes from its database_url file."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "DATABASE_TEST_NAME"}
    }
    env.update({"MEDTRACK_VAR_DIR": str(var_dir), "DEBUG": "true"})
    return subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput"],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def connect(var_dir: Path) -> psycopg.Connection:
    url = (var_dir / "database_url").read_text().strip()
    return psycopg.connect(url.replace("postgres://", "postgresql://"), connect_timeout=5)


def kill_server(pgdata: Path) -> None:
    """SIGKILL to the postmaster and every backend: no shutdown checkpoint, no cleanup."""
    postmaster = psutil.Process(int((pgdata / "postmaster.pid").read_text().split()[0]))
    processes = [postmaster, *postmaster.children(recursive=True)]
    for process in processes:
        process.send_signal(signal.SIGKILL)
    psutil.wait_procs(processes, timeout=10)


def test_a_server_killed_mid_write_restarts_cleanly_with_every_committed_row(
    var_dir: Path,
) -> None:
    assert run(var_dir, "start").returncode == 0
    migrated = migrate(var_dir)
    assert migrated.returncode == 0, migrated.stderr

    with connect(var_dir) as app:  # the app role; the table owned by the owner role
        app.execute("SET ROLE medtrack_owner")
        app.execute("CREATE TABLE crash_probe (id serial PRIMARY KEY, what text NOT NULL)")
        app.execute("GRANT SELECT, INSERT ON crash_probe TO medtrack_app")
        app.execute("GRANT USAGE ON SEQUENCE crash_probe_id_seq TO medtrack_app")
        app.execute("RESET ROLE")
        app.commit()
        for n in range(50):  # one commit each, as requests do
            app.execute("INSERT INTO crash_probe (what) VALUES (%s)", [f"committed {n}"])
            app.commit()
    in_flight = connect(var_dir)
    in_flight.execute(
        "INSERT INTO crash_probe (what) SELECT 'in flight ' || n FROM generate_series(1, 5000) n"
    )  # and never committed: the server dies first

    pgdata = var_dir / "pgdata"
    kill_server(pgdata)
    in_flight.close()
    assert (pgdata / "postmaster.pid").exists()  # stale: a dead server's

    started = run(var_dir, "start")
    assert started.returncode == 0, started.stderr
    migrated = migrate(var_dir)
    assert migrated.returncode == 0, migrated.stderr
    assert "No migrations to apply" in migrated.stdout

    with connect(var_dir) as app:
        rows = [what for (what,) in app.execute("SELECT what FROM crash_probe ORDER BY id")]
    assert rows == [f"committed {n}" for n in range(50)]
    server_log = "".join(
        path.read_text(errors="replace") for path in pgdata.rglob("*.log") if path.is_file()
    )
    if server_log:  # (where the server logs depends on the package's version)
        assert "not properly shut down" in server_log or "recovery" in server_log
