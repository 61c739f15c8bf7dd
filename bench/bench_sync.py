"""Benchmark (not a test: run it by path, ``pytest bench/bench_sync.py -s -p no:xdist``):
the sync API with a year of one patient's data.

Measures a first pull of everything (all pages, at the default and the largest
page size), a pull with nothing new, and a push of a day of doses recorded
offline, each over the HTTP stack (token, rate limit, row level security).
"""

from __future__ import annotations

import datetime as dt
import statistics
import time

import pytest
from django.utils import timezone

from bench.bench_dashboard import a_year_of
from conftest import make_patient, make_user
from doses.models import Dose
from medtrack.rls import system_context
from sync.tests.conftest import Api, make_token

pytestmark = pytest.mark.django_db(transaction=True)
RUNS = 5


def timed(run) -> tuple[float, float]:
    times = []
    for _ in range(RUNS):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return min(times) * 1000, statistics.median(times) * 1000


def test_pulling_and_pushing_a_year_of_one_patient() -> None:
    user = make_user("bench@example.com", "Bench Mark")
    patient = make_patient(user, "Patient Year", dob=dt.date(1940, 1, 1))
    a_year_of(patient, user)
    with system_context("bench"):
        doses = Dose.objects.filter(patient=patient).count()
    print(f"\nA year of one patient: {doses} doses, 365 readings, 3 medications")
    for limit in (500, 1000):
        api = Api(make_token(user, f"Bench {limit}"))
        pages: list[int] = []

        def first_pull(api: Api = api, limit: int = limit, pages: list[int] = pages) -> None:
            api.mirror.cursor = ""
            pages.append(len(api.pull(limit=limit)))

        best, median = timed(first_pull)
        print(
            f"first pull, limit {limit}: {pages[-1]} changes in "
            f"{-(-pages[-1] // limit)} pages, min {best:.0f} ms, median {median:.0f} ms"
        )
    best, median = timed(lambda: api.pull())
    print(f"pull with nothing new: min {best:.1f} ms, median {median:.1f} ms")
    now = timezone.now()
    with system_context("bench"):  # missed this week, then recorded as taken late
        missed = list(
            Dose.objects.filter(
                patient=patient, status="missed", scheduled_for__gte=now - dt.timedelta(days=6)
            )[:6]
        )
    batch = [
        api.edit(
            "doses",
            dose.pk,
            status="taken",
            taken_at=(dose.scheduled_for + dt.timedelta(minutes=10)).isoformat(),
        )
        for dose in missed
        if dose.scheduled_for is not None  # (a missed dose always had a time)
    ]
    started = time.perf_counter()
    results = api.push(batch)
    push_ms = (time.perf_counter() - started) * 1000
    replay_ms, _ = timed(lambda: api.push(batch))
    assert {r["status"] for r in results} == {"applied"}
    print(f"push of {len(batch)} doses: {push_ms:.0f} ms; the same again: {replay_ms:.0f} ms")
