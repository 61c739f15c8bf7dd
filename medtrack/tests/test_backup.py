"""``manage.py backup`` and ``restore``: a dump of the database restored into a
fresh embedded server keeps its rows, its owner and its row level security.

The fresh server runs in its own data directory (``MEDTRACK_VAR_DIR``), started
and restored by subprocesses as ``make`` would, so the suite's server is only
read from, never written to.
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from collections.abc import Iterator, Sequence
from io import StringIO
from pathlib import Path
from typing import Any

import psycopg
import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.test import override_settings

from accounts.models import User
from conftest import make_patient
from medtrack import rls_report

pytestmark = pytest.mark.skipif(
    not settings.EMBEDDED_DATABASE, reason="DATABASE_URL is set: the embedded server is not used"
)

OWNER = settings.DATABASE_OWNER_ROLE


def manage(var_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """A management command against the server whose URL is in ``var_dir``."""
    env = {**os.environ, "MEDTRACK_VAR_DIR": str(var_dir), "DEBUG": "true"}
    env.pop("DATABASE_URL", None)
    return subprocess.run(
        [sys.executable, *args],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture
def fresh_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A new embedded server, provisioned like `make db` (roles, an empty database)."""
    var_dir = Path(tmp_path_factory.mktemp("pg", numbered=True))
    started = manage(var_dir, "-m", "medtrack.embedded_db", "start")
    try:
        assert started.returncode == 0, started.stderr
        yield var_dir
    finally:
        manage(var_dir, "-m", "medtrack.embedded_db", "stop")


def connect(var_dir: Path) -> psycopg.Connection[Any]:
    url = (var_dir / "database_url").read_text().strip()
    return psycopg.connect(url.replace("postgres://", "postgresql://", 1), autocommit=True)


@pytest.mark.django_db(transaction=True)  # pg_dump sees committed rows only
def test_a_backup_restored_into_a_fresh_server_keeps_rows_owner_and_rls(
    primary: User, fresh_server: Path, tmp_path: Path
) -> None:
    patient = make_patient(primary, "Backed Up")
    out = StringIO()
    call_command("backup", output=tmp_path / "backups" / "medtrack.dump", stdout=out)
    dump = tmp_path / "backups" / "medtrack.dump"
    assert str(dump) in out.getvalue()
    assert stat.S_IMODE(dump.stat().st_mode) == 0o600

    dry = manage(fresh_server, "manage.py", "restore", "--dry-run", str(dump))
    assert dry.returncode == 0, dry.stderr
    assert "Dry run" in dry.stdout
    restored = manage(fresh_server, "manage.py", "restore", "--noinput", str(dump))
    assert restored.returncode == 0, restored.stdout + restored.stderr
    assert "Row level security: no problems found." in restored.stdout

    with connect(fresh_server) as app:
        app_role = app.execute("SELECT current_user").fetchone()
        # Signed in as nobody, row level security hides every patient from the app.
        assert app.execute("SELECT count(*) FROM patients").fetchone() == (0,)
        app.execute(f"SET ROLE {OWNER}")
        assert app.execute("SELECT id FROM patients").fetchall() == [(patient.pk,)]
        assert app.execute(
            "SELECT relrowsecurity, pg_get_userbyid(relowner) FROM pg_class "
            "WHERE oid = 'medications'::regclass"
        ).fetchone() == (True, OWNER)
        owners = {
            owner
            for (owner,) in app.execute(
                "SELECT DISTINCT pg_get_userbyid(relowner) FROM pg_class "
                "WHERE relnamespace = 'public'::regnamespace AND relkind IN ('r', 'S', 'v')"
            )
        }
        assert owners == {OWNER}
        app.execute("RESET ROLE")

        def query(sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
            return app.execute(sql.replace("%%", "%"), list(params) or None).fetchall()

        assert app_role is not None
        assert rls_report.problems(app_role=app_role[0], owner_role=OWNER, query=query) == []

    again = manage(fresh_server, "manage.py", "restore", "--noinput", str(dump))
    assert again.returncode == 0, again.stdout + again.stderr  # over existing data: --clean


def test_backup_and_restore_refuse_a_managed_server(tmp_path: Path) -> None:
    with (
        override_settings(EMBEDDED_DATABASE=False),
        pytest.raises(CommandError, match="provider's backups"),
    ):
        call_command("backup", output=tmp_path / "x.dump")
    assert not (tmp_path / "x.dump").exists()


def test_restore_refuses_a_file_that_is_not_a_dump(tmp_path: Path) -> None:
    junk = tmp_path / "junk.dump"
    junk.write_text("not a dump")
    with pytest.raises(CommandError, match="pg_restore failed"):
        call_command("restore", str(junk), "--noinput")
