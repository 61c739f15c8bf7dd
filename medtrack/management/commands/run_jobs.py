"""Run the periodic jobs: once (cron), or in a loop (a long-running process)."""

from __future__ import annotations

import signal
import threading
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser
from django.db import close_old_connections, connection
from django.utils import timezone

from medtrack import jobs


class Command(BaseCommand):
    help = (
        "Run every periodic job (" + ", ".join(job.name for job in jobs.JOBS) + ") and print "
        "one line per job. With --once, run them once and exit (for cron); otherwise repeat "
        "every --interval seconds (default JOBS_INTERVAL_SECONDS="
        f"{settings.JOBS_INTERVAL_SECONDS}) until SIGTERM or Ctrl-C, finishing the job in "
        "hand first. Safe to run on several machines at once: each job is idempotent "
        "and runs on one machine at a time."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="Run every job once and exit.")
        parser.add_argument(
            "--interval",
            type=int,
            default=settings.JOBS_INTERVAL_SECONDS,
            help="Seconds between rounds (loop mode).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["once"]:
            self._round()
            return
        stop = threading.Event()

        def request_stop(signum: int, frame: Any) -> None:
            self.stdout.write("Stopping after the job in hand.")
            stop.set()

        previous = {
            sig: signal.signal(sig, request_stop) for sig in (signal.SIGTERM, signal.SIGINT)
        }
        try:
            while not stop.is_set():
                self._round()
                stop.wait(max(1, options["interval"]))
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        self.stdout.write("Stopped.")

    def _round(self) -> None:
        if not connection.in_atomic_block:  # a long-running loop: a fresh connection when due
            close_old_connections()
        now = timezone.now()
        for line in jobs.run_all(now):
            style = self.style.ERROR if "FAILED" in line else self.style.SUCCESS
            self.stdout.write(style(line))
