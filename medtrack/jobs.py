"""The periodic jobs, run by ``manage.py run_jobs`` (DESIGN.md §A "Jobs").

Each job takes the time from its caller (``now``: tests travel in time), runs
in system context, is idempotent (unique keys, conditional updates), and
returns a one-line summary. A job holds a PostgreSQL advisory lock while it
runs, so runners on several machines never run the same job at once: the
second skips it and says so.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.db import connection

logger = logging.getLogger("medtrack.jobs")


@dataclass(frozen=True)
class Job:
    name: str
    run: Callable[[dt.datetime], str]


def _generate_doses(now: dt.datetime) -> str:
    from doses.generation import doses_generate

    return f"{doses_generate(now=now)} dose(s) created"


def _sweep_missed_doses(now: dt.datetime) -> str:
    from doses.services import doses_sweep_missed

    return f"{doses_sweep_missed(now=now)} dose(s) marked missed"


def _notify_missed_doses(now: dt.datetime) -> str:
    from notifications.services import notify_missed_doses

    return f"{notify_missed_doses(now=now)} notification(s)"


def _notify_flagged_readings(now: dt.datetime) -> str:
    from notifications.services import notify_flagged_readings

    return f"{notify_flagged_readings(now=now)} notification(s)"


def _notify_upcoming_appointments(now: dt.datetime) -> str:
    from notifications.services import notify_upcoming_appointments

    return f"{notify_upcoming_appointments(now=now)} notification(s)"


def _expire_invitations(now: dt.datetime) -> str:
    from caregivers.services import invitations_expire

    return f"{invitations_expire(now=now)} invitation(s) expired"


def _purge_deleted_patients(now: dt.datetime) -> str:
    from patients.services import patients_purge

    return f"{len(patients_purge(now=now))} patient(s) purged"


#: In the order they run: doses exist before the sweep looks at them.
JOBS = [
    Job("generate_doses", _generate_doses),
    Job("sweep_missed_doses", _sweep_missed_doses),
    Job("notify_missed_doses", _notify_missed_doses),
    Job("notify_flagged_readings", _notify_flagged_readings),
    Job("notify_upcoming_appointments", _notify_upcoming_appointments),
    Job("expire_invitations", _expire_invitations),
    Job("purge_deleted_patients", _purge_deleted_patients),
]


def _lock_key(name: str) -> int:
    return int.from_bytes(
        hashlib.sha256(f"medtrack-job:{name}".encode()).digest()[:8], "big", signed=True
    )


def run_job(job: Job, now: dt.datetime) -> str:
    """Run ``job`` unless another runner is running it; its summary line."""
    key = _lock_key(job.name)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [key])
        (locked,) = cursor.fetchone()
    if not locked:
        return f"{job.name}: skipped (running elsewhere)"
    started = time.monotonic()
    try:
        summary = job.run(now)
    except Exception as error:  # one failing job must not stop the others
        logger.exception("Job %s failed", job.name)
        return f"{job.name}: FAILED ({type(error).__name__}: {error})"
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [key])
    return f"{job.name}: {summary} in {time.monotonic() - started:.2f} s"


def run_all(now: dt.datetime) -> list[str]:
    return [run_job(job, now) for job in JOBS]
