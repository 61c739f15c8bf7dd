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
from django.utils.module_loading import import_string

logger = logging.getLogger("medtrack.jobs")


@dataclass(frozen=True)
class Job:
    name: str
    run: Callable[[dt.datetime], str]


def _counting(function: str, what: str) -> Callable[[dt.datetime], str]:
    """A job that calls ``function(now=now)`` and says how many ``what`` it did."""

    def run(now: dt.datetime) -> str:
        return f"{import_string(function)(now=now)} {what}"

    return run


def _purge_deleted_patients(now: dt.datetime) -> str:
    from patients.services import patients_purge

    return f"{len(patients_purge(now=now))} patient(s) purged"


def _clear_expired_sessions(now: dt.datetime) -> str:
    from django.contrib.sessions.models import Session

    deleted, _by_model = Session.objects.filter(expire_date__lt=now).delete()
    return f"{deleted} session(s) cleared"


def _prune_finished_tasks(now: dt.datetime) -> str:
    from django_tasks_db.models import DBTaskResult

    old = DBTaskResult.objects.finished().filter(finished_at__lt=now - TASKS_KEPT)
    deleted, _by_model = old.delete()
    return f"{deleted} finished task(s) pruned"


#: Finished (and failed) background tasks stay this long for the admin to see.
TASKS_KEPT = dt.timedelta(days=30)

_NOTIFIED = "notification(s)"

#: In the order they run: doses exist before the sweep looks at them.
JOBS = [
    Job("generate_doses", _counting("doses.generation.doses_generate", "dose(s) created")),
    Job(
        "sweep_missed_doses",
        _counting("doses.services.doses_sweep_missed", "dose(s) marked missed"),
    ),
    Job("notify_due_doses", _counting("notifications.services.notify_due_doses", _NOTIFIED)),
    Job(
        "notify_missed_doses",
        _counting("notifications.services.notify_missed_doses", _NOTIFIED),
    ),
    Job(
        "notify_flagged_readings",
        _counting("notifications.services.notify_flagged_readings", _NOTIFIED),
    ),
    Job(
        "notify_upcoming_appointments",
        _counting("notifications.services.notify_upcoming_appointments", _NOTIFIED),
    ),
    Job("notify_refill_low", _counting("notifications.services.notify_refill_low", _NOTIFIED)),
    Job(
        "expire_invitations",
        _counting("caregivers.services.invitations_expire", "invitation(s) expired"),
    ),
    Job("expire_exports", _counting("exports.services.exports_expire", "export(s) expired")),
    Job("clear_expired_sessions", _clear_expired_sessions),
    Job(
        "prune_form_drafts",
        _counting("accounts.session_limits.drafts_prune", "form draft(s) pruned"),
    ),
    Job("prune_api_request_counts", _counting("sync.api.requests_prune", "count(s) pruned")),
    Job("prune_api_tokens", _counting("accounts.tokens.tokens_prune", "token(s) deleted")),
    Job("prune_finished_tasks", _prune_finished_tasks),
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
