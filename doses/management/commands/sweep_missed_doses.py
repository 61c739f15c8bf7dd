"""Turn doses nobody recorded into missed doses (a periodic job)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils import timezone

from doses.services import doses_sweep_missed


class Command(BaseCommand):
    help = (
        "Mark pending doses more than DOSE_MISSED_HOURS "
        f"({settings.DOSE_MISSED_HOURS}) hours past their time as missed. Each dose is "
        "marked once (the next run finds it no longer pending); a missed dose can still "
        "be recorded as taken afterwards. Runs in system context."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        count = doses_sweep_missed(now=timezone.now())
        self.stdout.write(self.style.SUCCESS(f"Marked {count} dose(s) as missed."))
