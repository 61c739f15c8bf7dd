"""Benchmark (not a test: ``pytest bench/bench_sync_writes.py -s -p no:xdist``): what
the change index costs bulk writes. Dose generation for the same synthetic families,
with the sync triggers on and (for comparison only) off."""

from __future__ import annotations

import time

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from doses import generation
from doses.models import Dose
from medtrack.rls import system_context

pytestmark = pytest.mark.django_db(transaction=True)
FAMILIES = 2000


def generate(triggers: bool) -> tuple[int, float, float]:
    with system_context("bench"):
        Dose.objects.all().delete()
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM sync_changes WHERE entity = 'doses'")
            cursor.execute("UPDATE medication_schedules SET generated_until = NULL")
            state = "ENABLE" if triggers else "DISABLE"
            for operation in ("insert", "update", "delete"):
                cursor.execute(f"ALTER TABLE doses {state} TRIGGER sync_changes_{operation}")
    started = time.perf_counter()
    made = generation.doses_generate(now=timezone.now())
    first = time.perf_counter() - started
    started = time.perf_counter()
    generation.doses_generate(now=timezone.now())
    again = time.perf_counter() - started
    return made, first, again


def test_dose_generation_with_and_without_the_change_index(settings: object) -> None:
    settings.DEBUG = True  # type: ignore[attr-defined]  # seed_bench refuses otherwise
    call_command("seed_bench", families=FAMILIES, medications=5, times=3, verbosity=0)
    for triggers in (False, True):
        made, first, again = generate(triggers)
        print(
            f"\nsync triggers {'on ' if triggers else 'off'}: {made} doses in {first:.1f} s, "
            f"idempotent re-run {again:.1f} s"
        )
