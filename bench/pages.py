"""``make bench`` (``BENCH_SIZE=small|large``): the main pages' server time and query
count for a caregiver of 5 patients, each page as a ratio to a floor view, and how
they scale with years of history. Writes var/bench/results.json and the marked
table in docs/performance.md; prints PASS/FAIL for each target (issue 16).

Why it is built this way:

1. Django's test ``Client`` with one ``force_login`` and a warm-up request, so the
   time is the server's (middleware, session, views, templates, queries), not a
   socket's or a cold cache's.
2. Queries are counted on a warm request of their own: capturing them turns on the
   debug cursor, which must not be inside the timed requests.
3. The bench caregivers are ordinary accounts with an unusable-to-guess e-mail in
   the dev database; a second run reuses them (their history ends on the day they
   were seeded), so the numbers compare between runs.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import platform
import random
import statistics
import sys
import time
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from accounts.models import User
    from patients.models import Patient

MAX_QUERIES = 15
FLOOR_RATIO = 3.0  # dashboard and Today page, median, against the floor
SCALING_RATIO = 1.3  # the longest history against the shortest, median
MARK_START, MARK_END = "<!-- bench:pages:start -->", "<!-- bench:pages:end -->"


@dataclass(frozen=True)
class Size:
    patients: int
    medications: int
    #: Days of history of the main caregiver, then of the scaling pair.
    days: int
    scaling: tuple[int, int]
    iterations: int
    warmup: int


SIZES = {
    # The smoke test's: it must work, not be fast (< 1 minute with seeding). Both
    # histories of the scaling pair are longer than a page's fixed window or page
    # (the chart's 50 readings): with 30 days, the chart showed 30 rows against 50,
    # which the ratio read as history making it slower.
    "small": Size(patients=5, medications=3, days=60, scaling=(60, 120), iterations=5, warmup=1),
    "large": Size(
        patients=5, medications=6, days=3 * 365, scaling=(365, 10 * 365), iterations=50, warmup=5
    ),
}
#: The pages measured, in the table's order; ``floor`` first, as every ratio's base.
PAGES = ["floor", "dashboard", "today", "medications", "chart", "timeline", "activity", "inbox"]


def seed_caregiver(days: int, size: Size, seed: int = 1) -> tuple[User, list[Patient]]:
    """A caregiver of ``size.patients`` patients with ``days`` of history (doses with
    ~85 % adherence, a blood pressure a day, a journal entry every few days,
    notifications), reused when it exists already."""
    from accounts.models import User
    from caregivers.models import PatientCaregiver
    from conftest import add_medication, make_patient, make_user
    from doses.models import Dose
    from journal.models import DailyLog
    from measurements.models import Measurement
    from medications.models import MedicationSchedule
    from medtrack.rls import system_context
    from notifications.models import Notification
    from patients.models import Patient

    email = f"bench-pages-{size.patients}p{size.medications}m{days}d@bench.example.com"
    user = User.objects.filter(email=email).first()
    if user is not None:
        with system_context("bench"):
            ids = PatientCaregiver.objects.filter(caregiver=user).values("patient_id")
            return user, list(Patient.objects.filter(pk__in=ids).order_by("name"))
    rng = random.Random(seed * 100_000 + days)  # noqa: S311 - reproducible data, not secrets
    user = make_user(email, f"Bench {days} days")
    now = dt.datetime.now(dt.UTC)
    patients = []
    for number in range(size.patients):
        patient = make_patient(
            user, f"Bench patient {number} ({days} days)", dob=dt.date(1935 + number, 1, 1)
        )
        patients.append(patient)
        doses: list[Dose] = []
        for m in range(size.medications):
            medication = add_medication(user, patient, f"Medication {m}")
            with system_context("bench"):
                schedule = MedicationSchedule.objects.filter(medication=medication).first()
            hours = rng.choice([(12,), (2, 14), (2, 8, 14)])
            for day in range(1, days):
                for hour in hours:
                    at = now - dt.timedelta(days=day, hours=hour)
                    status = rng.choices(["taken", "skipped", "missed"], [85, 5, 10])[0]
                    doses.append(
                        Dose(
                            patient=patient,
                            medication=medication,
                            schedule=schedule,
                            scheduled_for=at,
                            status=status,
                            taken_at=at + dt.timedelta(minutes=rng.randrange(40))
                            if status == "taken"
                            else None,
                            amount=Decimal(1),
                        )
                    )
        with system_context("bench"):
            Dose.objects.bulk_create(doses, batch_size=5000)
            Measurement.objects.bulk_create(
                (
                    Measurement(
                        patient=patient,
                        type="blood_pressure",
                        value=Decimal(rng.randrange(105, 165)),
                        value_secondary=Decimal(rng.randrange(65, 100)),
                        unit="mm[Hg]",
                        measured_at=now - dt.timedelta(days=day, hours=rng.randrange(6)),
                        out_of_range=rng.random() < 0.15,
                        recorded_by=user,
                    )
                    for day in range(days)
                ),
                batch_size=5000,
            )
            DailyLog.objects.bulk_create(
                (
                    DailyLog(
                        patient=patient,
                        log_date=(now - dt.timedelta(days=day)).date(),
                        mood=rng.randint(1, 5),
                        pain_level=rng.randint(0, 10),
                        notes="Slept badly; walked in the park.",
                        created_by=user,
                    )
                    for day in range(1, days, 3)
                ),
                batch_size=5000,
            )
            Notification.objects.bulk_create(
                (
                    Notification(
                        user=user,
                        patient=patient,
                        type="dose_missed",
                        title=f"A dose of Medication 0 was missed ({day} days ago)",
                        dedupe_key=f"bench:{patient.pk}:{day}",
                        read_at=now if day > 7 else None,
                    )
                    for day in range(1, days, 2)
                ),
                batch_size=5000,
            )
    return user, patients


def urls(patient: Patient) -> dict[str, str]:
    from django.urls import reverse

    one = {"patient_id": patient.pk}
    return {
        "floor": reverse("dashboard:floor"),
        "dashboard": reverse("dashboard:home"),
        "today": reverse("doses:today", kwargs=one),
        "medications": reverse("medications:list", kwargs=one),
        "chart": reverse("measurements:trend", kwargs={**one, "type": "blood_pressure"}),
        "timeline": reverse("journal:timeline", kwargs=one),
        "activity": reverse("audit:activity", kwargs=one),
        "inbox": reverse("notifications:inbox"),
    }


def refresh_today(patients: list[Patient], now: dt.datetime) -> None:
    """Give each medication of the bench patients the doses of a real morning
    around ``now``: given earlier today, due now (every other medication), coming
    up; so the dashboard and Today page have rows to show whenever the bench runs.
    Replaces the bench doses of the 12 hours either side."""
    from doses.models import Dose, DoseStatus
    from medications.models import MedicationSchedule
    from medtrack.rls import system_context

    with system_context("bench"):
        Dose.objects.filter(
            patient__in=patients,
            scheduled_for__gte=now - dt.timedelta(hours=12),
            scheduled_for__lt=now + dt.timedelta(hours=12),
        ).delete()
        doses = []
        schedules = MedicationSchedule.objects.filter(patient__in=patients).order_by("pk")
        for number, schedule in enumerate(schedules):
            offsets = [-5, 4] + ([0] if number % 2 == 0 else [])
            for hours in offsets:
                at = now + dt.timedelta(hours=hours, minutes=-20 if hours == 0 else 0)
                past = hours < 0
                doses.append(
                    Dose(
                        patient_id=schedule.patient_id,
                        medication_id=schedule.medication_id,
                        schedule=schedule,
                        scheduled_for=at,
                        status=DoseStatus.TAKEN if past else DoseStatus.PENDING,
                        taken_at=at + dt.timedelta(minutes=10) if past else None,
                        amount=Decimal(1),
                    )
                )
        Dose.objects.bulk_create(doses)


def measure(targets: dict[str, tuple[Any, str]], size: Size) -> dict[str, dict[str, float]]:
    """Time every (client, url) of ``targets`` round-robin, one request of each in
    turn, so a slow moment of this shared machine falls on every page alike."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    queries: dict[str, int] = {}
    for key, (client, url) in targets.items():
        for _ in range(size.warmup):
            response = client.get(url)
            assert response.status_code == 200, f"{key}: {url} answered {response.status_code}"
        with CaptureQueriesContext(connection) as captured:
            client.get(url)
        # Now: the next request empties the log that ``captured`` reads lazily.
        queries[key] = len(captured)
    times: dict[str, list[float]] = {key: [] for key in targets}
    for _ in range(size.iterations):
        for key, (client, url) in targets.items():
            started = time.perf_counter()
            client.get(url)
            times[key].append((time.perf_counter() - started) * 1000)
    results = {}
    for key, samples in times.items():
        samples.sort()
        results[key] = {
            "min_ms": round(samples[0], 2),
            "median_ms": round(statistics.median(samples), 2),
            "p95_ms": round(samples[min(len(samples) - 1, round(0.95 * (len(samples) - 1)))], 2),
            "queries": queries[key],
        }
    return results


def logged_in(user: User) -> Any:
    from django.test import Client

    client = Client(HTTP_HOST="localhost")
    client.force_login(user)
    return client


def run(size_name: str, out: Path, docs: Path | None = None) -> dict[str, Any]:
    """Seed, measure, judge; write ``out`` (JSON) and, given ``docs``, its table."""
    size = SIZES[size_name]
    started = time.monotonic()
    now = dt.datetime.now(dt.UTC)
    caregivers = {
        "main": seed_caregiver(size.days, size),
        "short": seed_caregiver(size.scaling[0], size),
        "long": seed_caregiver(size.scaling[1], size),
    }
    targets = {}
    for label, (user, patients) in caregivers.items():
        refresh_today(patients, now)
        client = logged_in(user)
        for page, url in urls(patients[0]).items():
            targets[f"{label}:{page}"] = (client, url)
    measured = measure(targets, size)
    main, short, long = (
        {page: measured[f"{label}:{page}"] for page in PAGES}
        for label in ("main", "short", "long")
    )
    for group in (main, short, long):
        for row in group.values():
            row["ratio"] = round(row["median_ms"] / group["floor"]["median_ms"], 2)
    scaling = {
        page: round(long[page]["median_ms"] / short[page]["median_ms"], 2) for page in PAGES
    }
    checks = []
    for page in PAGES:
        counts = {main[page]["queries"], short[page]["queries"], long[page]["queries"]}
        checks.append(
            {
                "target": f"{page}: ≤ {MAX_QUERIES} queries, the same for all sizes",
                "pass": max(counts) <= MAX_QUERIES and len(counts) == 1,
                "value": "/".join(str(int(c)) for c in sorted(counts)),
            }
        )
    for page in ("dashboard", "today"):
        checks.append(
            {
                "target": f"{page}: median ≤ {FLOOR_RATIO} x floor",
                "pass": main[page]["ratio"] <= FLOOR_RATIO,
                "value": f"{main[page]['ratio']}x",
            }
        )
    for page in PAGES:
        checks.append(
            {
                "target": f"{page}: {size.scaling[1]} days ≤ {SCALING_RATIO} x {size.scaling[0]}",
                "pass": scaling[page] <= SCALING_RATIO,
                "value": f"{scaling[page]}x",
            }
        )
    results = {
        "size": size_name,
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "settings": {
            "patients": size.patients,
            "medications": size.medications,
            "days": size.days,
            "scaling_days": list(size.scaling),
            "iterations": size.iterations,
            "warmup": size.warmup,
        },
        "pages": main,
        "scaling": {"short": short, "long": long, "ratio": scaling},
        "checks": checks,
        "seconds": round(time.monotonic() - started, 1),
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2) + "\n")
    table = markdown(results)
    if docs is not None:
        write_docs(docs, table)
    return results


def machine(*, load: bool = False) -> str:
    """Cores, CPU, Python, kernel and the PostgreSQL server measured against; with
    ``load``, the load average too (the machine is shared: a busy moment explains a
    slow run)."""
    cpu = platform.processor() or platform.machine()
    try:
        cpuinfo = Path("/proc/cpuinfo").read_text()
        cpu = next(
            line.split(":", 1)[1].strip()
            for line in cpuinfo.splitlines()
            if line.startswith("model name")
        )
    except (OSError, StopIteration):
        pass
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        (version,) = cursor.fetchone()
    embedded = "" if os.environ.get("DATABASE_URL") else "embedded "
    pg = f"{embedded}PostgreSQL {version.split()[0]}"
    described = (
        f"{os.cpu_count()} cores ({cpu}), Python {platform.python_version()}, "
        f"{platform.system()} {platform.release()}, {pg}"
    )
    if load:
        described += "; load average " + " ".join(f"{value:.2f}" for value in os.getloadavg())
    return described


def markdown(results: dict[str, Any]) -> str:
    settings = results["settings"]
    lines = [
        f"Run {results['date']}, size `{results['size']}`: {settings['patients']} patients x "
        f"{settings['medications']} medications, {settings['days']} days of history, "
        f"{settings['iterations']} requests per page after {settings['warmup']} warm-up.",
        f"Machine: {results['machine']}.",
        "",
        "| page | min ms | median ms | p95 ms | queries | x floor | "
        f"{settings['scaling_days'][1]} d / {settings['scaling_days'][0]} d |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for page, row in results["pages"].items():
        lines.append(
            f"| {page} | {row['min_ms']:.1f} | {row['median_ms']:.1f} | {row['p95_ms']:.1f} | "
            f"{row['queries']} | {row['ratio']:.2f} | {results['scaling']['ratio'][page]:.2f} |"
        )
    lines += ["", *checks_table(results["checks"])]
    return "\n".join(lines)


def checks_table(checks: list[dict[str, Any]]) -> list[str]:
    """The PASS/FAIL table every part of ``make bench`` prints, as markdown lines."""
    lines = ["| target | value | result |", "|---|---:|---|"]
    for check in checks:
        verdict = "PASS" if check["pass"] else "FAIL"
        lines.append(f"| {check['target']} | {check['value']} | {verdict} |")
    return lines


def write_docs(path: Path, table: str) -> None:
    text = path.read_text()
    head, rest = text.split(MARK_START, 1)
    _, tail = rest.split(MARK_END, 1)
    path.write_text(f"{head}{MARK_START}\n{table}\n{MARK_END}{tail}")


def main() -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "medtrack.settings")
    import django

    django.setup()
    from django.conf import settings

    # A log line per request would bury the table.
    for name in ("medtrack.request", "axes"):
        logging.getLogger(name).setLevel(logging.WARNING)

    if not settings.DEBUG:
        print("make bench seeds bench accounts: it runs with DEBUG on only.", file=sys.stderr)
        return 2
    size = os.environ.get("BENCH_SIZE", "small")
    if size not in SIZES:
        print(f"BENCH_SIZE must be one of {', '.join(SIZES)}", file=sys.stderr)
        return 2
    base = Path(settings.BASE_DIR)
    results = run(size, base / "var/bench/results.json", base / "docs/performance.md")
    print(markdown(results))
    print(f"\nvar/bench/results.json, docs/performance.md ({results['seconds']} s)")
    return 0 if all(check["pass"] for check in results["checks"]) else 1


if __name__ == "__main__":
    sys.exit(main())
