"""The job runner: every periodic job in one command, once or in a loop."""

from __future__ import annotations

import datetime as dt
import io
import os
import signal
import threading
import uuid

import pytest
from django.core.management import call_command
from django.db import connections

from doses.models import Dose
from medtrack import jobs
from medtrack.rls import system_context
from patients.models import Patient

pytestmark = pytest.mark.django_db


def run_once() -> list[str]:
    out = io.StringIO()
    call_command("run_jobs", "--once", stdout=out)
    return out.getvalue().splitlines()


def test_once_runs_every_job_and_says_what_each_did(patient: Patient, time_machine) -> None:
    lines = run_once()
    assert [line.split(":")[0] for line in lines] == [job.name for job in jobs.JOBS]
    assert lines[0].startswith("generate_doses: ")
    assert "dose(s) created" in lines[0]
    # Two days later, yesterday's doses nobody recorded are missed.
    time_machine.move_to(dt.datetime.now(dt.UTC) + dt.timedelta(days=2), tick=False)
    lines = run_once()
    missed = int(lines[1].split(": ")[1].split()[0])
    assert missed > 0
    with system_context("test"):
        assert Dose.objects.filter(patient=patient, status="missed").count() == missed
    assert run_once()[1].startswith("sweep_missed_doses: 0 dose(s)")  # idempotent


def test_a_job_running_elsewhere_is_skipped(patient: Patient) -> None:
    """Another machine's runner holds the job's lock: this one skips it."""
    other = connections.create_connection("default")
    try:
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_lock(%s)", [jobs._lock_key("sweep_missed_doses")])
        lines = run_once()
    finally:
        other.close()
    assert "sweep_missed_doses: skipped (running elsewhere)" in lines
    assert lines[0].startswith("generate_doses: ")  # the others ran


def test_a_failing_job_does_not_stop_the_others(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(now: dt.datetime) -> str:
        raise RuntimeError("disk full")

    monkeypatch.setattr(jobs, "JOBS", [jobs.Job("broken", broken), *jobs.JOBS])
    lines = run_once()
    assert lines[0] == "broken: FAILED (RuntimeError: disk full)"
    assert len(lines) == len(jobs.JOBS)
    assert run_once()[0].startswith("broken: FAILED")  # its lock was released


def test_the_loop_stops_cleanly_on_sigterm() -> None:
    timer = threading.Timer(1.5, os.kill, args=(os.getpid(), signal.SIGTERM))
    timer.start()
    out = io.StringIO()
    try:
        call_command("run_jobs", "--interval", "1", stdout=out)
    finally:
        timer.cancel()
    text = out.getvalue()
    assert text.count("generate_doses:") >= 1
    assert text.rstrip().endswith("Stopped.")
    assert signal.getsignal(signal.SIGTERM) is not None


def test_expired_sessions_and_old_tasks_are_cleared(patient: Patient, time_machine) -> None:
    from django.contrib.sessions.backends.db import SessionStore
    from django_tasks_db.models import DBTaskResult

    from conftest import work_tasks

    session = SessionStore()
    session["x"] = 1
    session.set_expiry(60)
    session.create()
    finished = work_tasks()  # the fixture's alert e-mails
    assert finished
    time_machine.move_to(dt.datetime.now(dt.UTC) + dt.timedelta(days=31), tick=False)
    lines = dict(line.split(": ", 1) for line in run_once())
    assert lines["clear_expired_sessions"].startswith("1 session(s) cleared")
    assert lines["prune_finished_tasks"].startswith(f"{len(finished)} finished task(s) pruned")
    assert not DBTaskResult.objects.filter(pk__in=[t.pk for t in finished]).exists()


@pytest.mark.django_db(transaction=True)
def test_the_worker_command_sends_the_queued_e_mail() -> None:
    """``manage.py db_worker --batch``, the real command, drains the queue."""
    from django.core import mail

    from conftest import make_user
    from notifications.services import notify

    user = make_user(f"w-{uuid.uuid4().hex[:8]}@example.com", "Wendy Worker")
    assert notify([user.pk], type="system", key="test:worker", title=lambda: "Welcome") == 1
    mail.outbox.clear()
    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", "--interval", "0")
    assert [m.to for m in mail.outbox] == [[user.email]]
    assert mail.outbox[0].subject == "Welcome · MedTrack"
