"""Benchmark (issue 16): the periodic jobs over a realistic data set.

    .venv/bin/python bench/bench_jobs.py --size large   # 1,000 families x 3 years

Times the missed-dose sweep, dose generation and the notification jobs
(reminders for due doses and appointments, missed doses, flagged readings, low
stock) as ``manage.py run_jobs`` calls them, at two moments after the data
set's own "now" (when it was loaded, its jobs up to date):

* ``next hour``: the runner's usual work, an hour of newly overdue doses, due
  doses and reminders;
* ``after a day down``: a runner that was stopped for a day catching up.

Each moment runs in a transaction that is rolled back, so the data set stays as
loaded and the next run measures the same work. Each size has its own database
from the command line (``medtrack_bench_jobs``, ``…_small``), loaded once by
``seed_bench`` and reused while its parameters are the same (``bench_datasets``);
``run("small")`` in the test suite uses the test database. Writes
var/bench/jobs.json.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

BASE_DIR = Path(__file__).resolve().parent.parent
#: Each size's own database (the CLI's; the test suite uses its test database).
DATABASES = {"small": "medtrack_bench_jobs_small", "large": "medtrack_bench_jobs"}


@dataclass(frozen=True)
class Size:
    families: int
    days: int
    seed: int


SIZES = {"small": Size(families=4, days=21, seed=1), "large": Size(1000, 3 * 365, 1)}
#: The jobs measured, in run_jobs' order (medtrack.jobs.JOBS).
TIMED = [
    "generate_doses",
    "sweep_missed_doses",
    "notify_due_doses",
    "notify_missed_doses",
    "notify_flagged_readings",
    "notify_upcoming_appointments",
    "notify_refill_low",
]
MOMENTS = {"next hour": dt.timedelta(hours=1), "after a day down": dt.timedelta(days=1)}


class Rollback(Exception):
    """Leaves the transaction a moment ran in, undoing its work."""


def dataset(size: Size, *, own_database: str = "") -> dict[str, Any]:
    """The loaded data set of ``size`` (loading it when it is not there yet)."""
    from django.core.management import call_command

    from accounts.models import User
    from bench import database
    from medications.management.commands.seed_bench import DATASET

    params = asdict(size)
    found = database.recorded(DATASET)
    loaded = User.objects.exists()
    if found is not None and found["params"] == params and loaded:
        return found
    if loaded:
        if not own_database:
            raise SystemExit("This database holds other data: run the large size on its own.")
        print("The bench database holds another data set: making it again.", flush=True)
        database.reset(own_database)
    call_command("seed_bench", families=size.families, days=size.days, seed=size.seed)
    recorded = database.recorded(DATASET)
    assert recorded is not None
    return recorded


def _expected(now: dt.datetime) -> dict[str, int]:
    """What the sweep should mark missed at ``now`` (counted before it runs)."""
    from django.conf import settings
    from django.db import connection

    from medtrack.rls import system_context

    with system_context("bench_jobs"), connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM doses WHERE status = 'pending' AND scheduled_for < %s",
            [now - dt.timedelta(hours=settings.DOSE_MISSED_HOURS)],
        )
        (overdue,) = cursor.fetchone()
    return {"overdue": overdue}


def moment(now: dt.datetime) -> dict[str, dict[str, float]]:
    """Run the timed jobs at ``now`` in a transaction rolled back afterwards."""
    from django.db import transaction

    from medtrack import jobs

    by_name = {job.name: job for job in jobs.JOBS}
    results: dict[str, dict[str, float]] = {}
    try:
        with transaction.atomic():
            expected = _expected(now)
            for name in TIMED:
                started = time.perf_counter()
                try:
                    with transaction.atomic():  # a failing job must not stop the others
                        summary = by_name[name].run(now)
                except Exception as error:  # as medtrack.jobs.run_job: reported, not raised
                    print(f"{name} FAILED: {type(error).__name__}: {error}", file=sys.stderr)
                    results[name] = {"rows": -1, "seconds": 0, "rows_per_second": 0}
                    continue
                seconds = time.perf_counter() - started
                count = int(summary.split()[0])
                results[name] = {
                    "rows": count,
                    "seconds": round(seconds, 3),
                    "rows_per_second": round(count / seconds) if seconds else 0,
                }
            started = time.perf_counter()
            again = int(by_name["sweep_missed_doses"].run(now).split()[0])
            results["sweep_missed_doses (again)"] = {
                "rows": again,
                "seconds": round(time.perf_counter() - started, 3),
                "rows_per_second": 0,
            }
            results["expected"] = {"rows": expected["overdue"], "seconds": 0, "rows_per_second": 0}
            raise Rollback
    except Rollback:
        pass
    return results


def counts() -> dict[str, int]:
    from django.db import connection

    from bench.data import TABLES
    from medtrack.rls import system_context

    found = {}
    with system_context("bench_jobs"), connection.cursor() as cursor:
        for table in TABLES:
            cursor.execute(f'SELECT count(*) FROM "{table}"')  # noqa: S608 - our table names
            (found[table],) = cursor.fetchone()
    return found


def run(size: str, *, own_database: str = "") -> dict[str, Any]:
    """Load (or reuse) the data set of ``size``, time the jobs; the results.
    ``own_database``: the database is the benchmark's, to make again if it holds
    another data set (else that is refused)."""
    from bench.pages import machine

    chosen = SIZES[size]
    started = time.monotonic()
    loaded = dataset(chosen, own_database=own_database)
    base = dt.datetime.fromisoformat(loaded["info"]["now"])
    rows = counts()
    moments = {label: moment(base + delta) for label, delta in MOMENTS.items()}
    checks = []
    for label, found in moments.items():
        sweep, expected = found["sweep_missed_doses"]["rows"], found["expected"]["rows"]
        checks.append(
            {
                "target": f"{label}: the sweep marks every overdue pending dose, once",
                "value": f"{sweep:,} of {expected:,}; again {found['sweep_missed_doses (again)']['rows']}",  # noqa: E501
                "pass": sweep == expected and found["sweep_missed_doses (again)"]["rows"] == 0,
            }
        )
        checks.append(
            {
                "target": f"{label}: each newly missed dose is notified to its care team",
                "value": f"{found['notify_missed_doses']['rows']:,} notifications",
                "pass": found["notify_missed_doses"]["rows"] >= sweep,
            }
        )
    for label, found in moments.items():
        failed = [name for name in TIMED if found[name]["rows"] < 0]
        checks.append(
            {
                "target": f"{label}: every job runs",
                "value": ", ".join(failed) + " failed" if failed else "all ran",
                "pass": not failed,
            }
        )
    results = {
        "size": size,
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": machine(load=True),
        "dataset": {"params": loaded["params"], **loaded["info"]},
        "rows": rows,
        "moments": {
            label: {"now": (base + MOMENTS[label]).isoformat(), "jobs": found}
            for label, found in moments.items()
        },
        "checks": checks,
        "seconds": round(time.monotonic() - started, 1),
    }
    results["markdown"] = markdown(results)
    return results


def markdown(results: dict[str, Any]) -> str:
    from bench.pages import checks_table

    data = results["dataset"]
    params = data["params"]
    total = sum(results["rows"].values())
    lines = [
        f"Run {results['date']}, size `{results['size']}`: {params['families']} families x "
        f"{params['days']} days (seed {params['seed']}), {total:,} rows "
        f"({results['rows']['doses']:,} doses), loaded in {data.get('seconds', '?')} s; "
        f"machine: {results['machine']}.",
        "",
        "| job | "
        + " | ".join(f"{label}: rows | s | rows/s" for label in results["moments"])
        + " |",
        "|---|" + "---:|---:|---:|" * len(results["moments"]),
    ]
    for name in [*TIMED, "sweep_missed_doses (again)"]:
        cells = []
        for found in results["moments"].values():
            row = found["jobs"][name]
            cells.append(f"{row['rows']:,} | {row['seconds']:.2f} | {row['rows_per_second']:,}")
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    lines += ["", *checks_table(results["checks"])]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--size", choices=list(SIZES), default="small")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(BASE_DIR))
    os.chdir(BASE_DIR)
    from bench import database

    database.use(DATABASES[args.size])
    import logging

    logging.getLogger("medtrack.jobs").setLevel(logging.WARNING)
    results = run(args.size, own_database=DATABASES[args.size])
    print(results["markdown"])
    out = BASE_DIR / "var" / "bench" / "jobs.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2, default=str) + "\n")
    print(f"\nWrote {out.relative_to(BASE_DIR)} ({results['seconds']} s)")
    return 0 if all(check["pass"] for check in results["checks"]) else 1


if __name__ == "__main__":
    sys.exit(main())
