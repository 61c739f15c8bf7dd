"""Materialise the scheduled doses of the coming days (a periodic job)."""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from doses.generation import doses_generate


class Command(BaseCommand):
    help = (
        "Create the pending doses every active, scheduled medication is due for from now "
        f"until --days ahead (default DOSE_WINDOW_DAYS={settings.DOSE_WINDOW_DAYS}), in the "
        "patient's time zone. Idempotent: doses that exist are left alone, so it is safe to "
        "run often (cron, or the job runner). Runs in system context, in chunks."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--days", type=int, default=None, help="How many days ahead.")

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.monotonic()
        created = doses_generate(now=timezone.now(), days=options["days"])
        self.stdout.write(
            self.style.SUCCESS(f"Created {created} dose(s) in {time.monotonic() - started:.1f} s.")
        )
