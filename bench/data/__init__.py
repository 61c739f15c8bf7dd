"""Realistic synthetic families for the benchmarks (issue 16), loaded with COPY.

``load(families=…, days=…, seed=…)`` is ``manage.py seed_bench``'s engine;
``seed_family(rng, email, patients, days)`` writes one family the same way, for a
benchmark that measures one caregiver (the page benchmark). Same seed, same
``now``: the same rows, ids included.
"""

from __future__ import annotations

import datetime as dt
import random
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from bench.data.family import Family, build_family
from bench.data.rows import BIG, TABLES, Batch, Ids, drop_secondary, history_off, rebuild

__all__ = ["TABLES", "Family", "LoadResult", "history_off", "load", "seed_family"]

#: How many patients a caregiver looks after (1–5), mostly one or two.
PATIENT_COUNTS = [1, 2, 3, 4, 5]
PATIENT_WEIGHTS = [45, 30, 13, 8, 4]
#: Families built before their rows are written (a few hundred thousand rows).
FAMILIES_PER_BATCH = 10


@dataclass
class LoadResult:
    families: int
    counts: Counter[str] = field(default_factory=Counter)
    build_seconds: float = 0.0
    write_seconds: float = 0.0
    rebuild_seconds: float = 0.0


def email_for(seed: int, number: int) -> str:
    return f"bench-s{seed}-{number}@bench.example.com"


def seed_family(
    rng: random.Random,
    email: str,
    patients: int,
    days: int,
    *,
    now: dt.datetime | None = None,
    zone: str | None = None,
) -> Family:
    """Write one realistic family (its caregiver has ``email``) with ``days`` of
    history up to ``now``, in system context; its ids. History triggers stay as
    they are (wrap the call in ``history_off`` for a bulk load)."""
    from django.utils import timezone

    from medtrack.rls import system_context

    batch = Batch()
    family = build_family(
        rng,
        batch,
        Ids(rng),
        email=email,
        patients=patients,
        days=days,
        now=now or timezone.now(),
        zone=zone,
    )
    with system_context("bench_data"):
        batch.write()
    return family


def load(
    *,
    families: int,
    days: int,
    seed: int,
    now: dt.datetime,
    progress: Callable[[LoadResult], None] | None = None,
    write: bool = True,
) -> LoadResult:
    """Build and write ``families`` families (caregiver ``email_for(seed, n)``) in one
    transaction, in system context: the big tables (``BIG``) without their secondary
    indexes and foreign keys, rebuilt at the end; an error leaves nothing behind.
    The caller turns the history triggers off (``history_off``) around it.
    ``write=False`` builds the rows and counts them without writing (a dry run)."""
    from medtrack.rls import system_context

    rng = random.Random(seed)  # noqa: S311 - reproducible data, not secrets
    ids = Ids(rng)
    result = LoadResult(families=0)
    batch = Batch()
    with system_context("seed_bench"):
        dropped = drop_secondary(BIG) if write else []
        for number in range(families):
            started = time.perf_counter()
            build_family(
                rng,
                batch,
                ids,
                email=email_for(seed, number),
                patients=rng.choices(PATIENT_COUNTS, PATIENT_WEIGHTS)[0],
                days=days,
                now=now,
            )
            result.families += 1
            result.build_seconds += time.perf_counter() - started
            if result.families % FAMILIES_PER_BATCH and number != families - 1:
                continue
            started = time.perf_counter()
            if write:
                result.counts.update(batch.write())
            else:
                result.counts.update({table: len(rows) for table, rows in batch.rows.items()})
                batch = Batch()
            result.write_seconds += time.perf_counter() - started
            if progress is not None:
                progress(result)
        started = time.perf_counter()
        rebuild(dropped)
        result.rebuild_seconds = time.perf_counter() - started
    return result
