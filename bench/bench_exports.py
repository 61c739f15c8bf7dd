"""Exports of one patient-year (issue 16): FHIR and CSV ≤ 2 s, PDF ≤ 5 s.

``python bench/bench_exports.py --size large`` (``--patient <uuid>`` to export that
patient's last year instead) seeds a bench patient into the dev database, times
each format several times and prints a table; results go to var/bench/exports.json.
``run("small")`` is the smoke test's (bench/tests/test_bench_exports.py).

Why it is built this way:

1. An export is timed as the task worker makes it (``exports.services.export_run``):
   as the person who asked (``acting_as``, so row level security applies), the
   patient loaded through ``get_patient_for_user``, then ``data.collect`` and the
   format's builder. Storing the file and the notification are left out: they do
   not grow with the record.
2. The first export of each format is reported apart ("first": imports, template
   compilation, WeasyPrint's fonts); min and median are of the warm runs that
   follow, as a long-lived worker makes them.
3. Peak memory is of one more run under ``tracemalloc`` (Python allocations only,
   and slower: it is not timed).
4. The bench patient belongs to an ordinary account with an
   ``@bench.example.com`` e-mail; a second run reuses it, and its period ends on the
   day it was seeded, so the numbers compare between runs.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import os
import random
import statistics
import sys
import time
import tracemalloc
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from accounts.models import User
    from exports.data import Record
    from patients.models import Patient

#: Seconds, median of the warm runs (issue 16).
TARGETS = {"fhir": 2.0, "csv": 2.0, "pdf": 5.0}


@dataclass(frozen=True)
class Size:
    days: int
    #: Doses a day of each scheduled medication; one more medication is as-needed.
    medications: tuple[int, ...]
    #: Timed (warm) runs of each format, after the first.
    runs: int


SIZES = {
    # The smoke test's: it must work, not be fast.
    "small": Size(days=14, medications=(1, 2), runs=1),
    # A realistic year: 10 scheduled doses a day over 6 medications plus an
    # as-needed one, two vitals a day and a weekly weight, a journal most days,
    # an appointment every three weeks or so.
    "large": Size(days=365, medications=(1, 2, 3, 1, 2, 1), runs=5),
}
#: The hours (patient's clock) of a medication taken n times a day.
TIMES = {1: (8,), 2: (8, 20), 3: (8, 14, 20)}


def seed_patient(size: Size, seed: int = 1) -> tuple[User, Patient]:
    """A bench caregiver and one patient with ``size.days`` days of history up to
    today, reused when the account exists already."""
    from accounts.models import User
    from appointments.models import Appointment
    from caregivers.models import PatientCaregiver
    from conftest import add_medication, make_patient, make_user
    from doses.generation import doses_generate
    from doses.models import Dose
    from journal.models import DailyLog
    from measurements.models import Measurement
    from medications.models import MedicationSchedule
    from medications.recurrence import start_of_day
    from medtrack.rls import system_context
    from patients.models import Patient

    email = f"bench-exports-{size.days}d{len(size.medications)}m@bench.example.com"
    user = User.objects.filter(email=email).first()
    if user is not None:
        with system_context("bench"):
            ids = PatientCaregiver.objects.filter(caregiver=user).values("patient_id")
            patient = Patient.objects.filter(pk__in=ids).order_by("created_at").first()
        if patient is not None:
            return user, patient
    else:
        user = make_user(email, f"Bench exports {size.days} days")
    rng = random.Random(seed * 100_000 + size.days)  # noqa: S311 - reproducible data
    patient = make_patient(user, f"Bench export patient ({size.days} days)")
    zone = patient.zone
    now = dt.datetime.now(dt.UTC)
    today = patient.today(now)
    first = today - dt.timedelta(days=size.days)

    def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
        return dt.datetime.combine(day, dt.time(hour, minute), zone)

    days = [first + dt.timedelta(days=n) for n in range(size.days)]
    doses: list[Dose] = []
    for number, per_day in enumerate(size.medications):
        hours = TIMES[per_day]
        medication = add_medication(
            user,
            patient,
            f"Medication {number}",
            strength=f"{rng.choice([5, 10, 20, 50, 100, 500])} mg",
            start_date=first,
            instructions="With food." if number % 2 else "",
            reason="Blood pressure" if number % 3 == 0 else "",
        )
        with system_context("bench"):
            schedule = MedicationSchedule.objects.get(medication=medication)
            # add_medication made today's and later doses at 08:00 and 20:00: make
            # them again at this medication's times.
            Dose.objects.filter(schedule=schedule).delete()
            MedicationSchedule.objects.filter(pk=schedule.pk).update(
                times_of_day=[dt.time(hour) for hour in hours], generated_until=None
            )
        doses_generate(now=now, since=start_of_day(today, zone), schedule_ids=[schedule.pk])
        for day in days:
            for hour in hours:
                due = at(day, hour)
                status = rng.choices(["taken", "skipped", "missed"], [88, 4, 8])[0]
                doses.append(
                    Dose(
                        patient=patient,
                        medication=medication,
                        schedule=schedule,
                        scheduled_for=due,
                        status=status,
                        taken_at=due + dt.timedelta(minutes=rng.randrange(-20, 90))
                        if status == "taken"
                        else None,
                        amount=Decimal(1),
                        skip_reason="Nausea" if status == "skipped" else "",
                        recorded_by=user if status != "missed" else None,
                    )
                )
    as_needed = add_medication(
        user, patient, "Paracetamol", is_prn=True, prn_max_per_day=4, prn_min_interval_hours=6
    )
    doses += [
        Dose(
            patient=patient,
            medication=as_needed,
            status="taken",
            taken_at=at(day, rng.randrange(7, 22), rng.randrange(60)),
            amount=Decimal(1),
            notes="Headache" if rng.random() < 0.3 else "",
            recorded_by=user,
        )
        for day in days
        if rng.random() < 0.4
    ]
    readings = []
    for day in days:
        readings.append(
            Measurement(
                patient=patient,
                type="blood_pressure",
                value=Decimal(rng.randrange(105, 165)),
                value_secondary=Decimal(rng.randrange(65, 95)),
                unit="mm[Hg]",
                measured_at=at(day, 8, rng.randrange(60)),
                out_of_range=rng.random() < 0.12,
                recorded_by=user,
            )
        )
        readings.append(
            Measurement(
                patient=patient,
                type="heart_rate",
                value=Decimal(rng.randrange(55, 105)),
                unit="/min",
                measured_at=at(day, 8, rng.randrange(60)),
                out_of_range=rng.random() < 0.05,
                recorded_by=user,
            )
        )
        if day.weekday() == 0:
            readings.append(
                Measurement(
                    patient=patient,
                    type="weight",
                    value=Decimal(rng.randrange(6000, 7000)) / 100,
                    unit="kg",
                    measured_at=at(day, 9),
                    notes="After breakfast" if rng.random() < 0.2 else "",
                    recorded_by=user,
                )
            )
    logs = [
        DailyLog(
            patient=patient,
            log_date=day,
            mood=rng.randint(1, 5),
            energy=rng.randint(1, 5),
            sleep_hours=Decimal(rng.randrange(8, 19)) / 2,
            pain_level=rng.randint(0, 10),
            symptoms=rng.sample(["dizzy", "tired", "cough", "nausea"], rng.randint(0, 2)),
            activities=rng.sample(["walk", "visit", "reading"], rng.randint(0, 2)),
            notes="Slept badly; walked in the park." if rng.random() < 0.5 else "",
            created_by=user,
        )
        for day in days
        if rng.random() < 0.85
    ]
    appointments = [
        Appointment(
            patient=patient,
            title=rng.choice(["GP check-up", "Cardiology", "Blood test", "Physiotherapy"]),
            appointment_type=rng.choice(["checkup", "specialist", "lab", "therapy"]),
            provider_name="Dr. Ruiz",
            location="Health centre",
            starts_at=at(day, 10, 30),
            ends_at=at(day, 11, 15),
            status="completed" if day < today else "scheduled",
            notes="Bring the medication list.",
            outcome="Keep the same doses." if day < today else "",
            created_by=user,
        )
        for day in [*days[::20], today + dt.timedelta(days=10), today + dt.timedelta(days=40)]
    ]
    with system_context("bench"):
        Dose.objects.bulk_create(doses, batch_size=5000)
        Measurement.objects.bulk_create(readings, batch_size=5000)
        DailyLog.objects.bulk_create(logs, batch_size=5000)
        Appointment.objects.bulk_create(appointments, batch_size=5000)
    return user, patient


def _exporter(patient: Patient) -> User | None:
    """Who exports ``patient``: its primary caregiver (None: an operator)."""
    from caregivers.models import PatientCaregiver
    from medtrack.rls import system_context

    with system_context("bench"):
        member = (
            PatientCaregiver.objects.filter(patient=patient, role="primary")
            .select_related("caregiver")
            .first()
        )
    return member.caregiver if member else None


def export(
    format: str, user: User | None, patient: Patient, date_from: dt.date, date_to: dt.date
) -> tuple[bytes, Record]:
    """One export as the task worker makes it (``export_run``, without storing it)."""
    from exports import data
    from exports.services import BUILDERS
    from medtrack.rls import acting_as, system_context
    from patients.access import Area, get_patient_for_user

    build = BUILDERS[format][0]
    if user is None:
        with system_context("bench export"):
            record = data.collect(patient, date_from, date_to)
            return build(record), record
    with acting_as(user.pk):
        loaded = get_patient_for_user(user, patient.pk, Area.EXPORTS)
        record = data.collect(loaded, date_from, date_to)
        return build(record), record


def _collect(user: User | None, patient: Patient, date_from: dt.date, date_to: dt.date) -> float:
    from exports import data
    from medtrack.rls import acting_as, system_context
    from patients.access import Area, get_patient_for_user

    started = time.perf_counter()
    if user is None:
        with system_context("bench export"):
            data.collect(patient, date_from, date_to)
    else:
        with acting_as(user.pk):
            data.collect(get_patient_for_user(user, patient.pk, Area.EXPORTS), date_from, date_to)
    return time.perf_counter() - started


def well_formed(format: str, content: bytes) -> bool:
    """A cheap look at the output: it parses as what its format says."""
    import io
    import zipfile

    if format == "pdf":
        return content.startswith(b"%PDF-") and b"%%EOF" in content[-1024:]
    if format == "csv":
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            return archive.testzip() is None and "doses.csv" in archive.namelist()
    document = json.loads(content)
    if format == "fhir":
        return bool(document.get("resourceType") == "Bundle" and document.get("entry"))
    return bool(document.get("format") == "medtrack-export")


def run(size: str, patient: Patient | None = None) -> dict[str, Any]:
    """Seed (unless ``patient`` is given), time every format, judge the targets."""
    from bench.pages import machine
    from exports.services import BUILDERS

    chosen = SIZES[size]
    started = time.monotonic()
    if patient is None:
        user, patient = seed_patient(chosen)
        date_to = patient.created_at.astimezone(patient.zone).date()
        exporter: User | None = user
    else:
        exporter = _exporter(patient)
        date_to = patient.today()
    date_from = date_to - dt.timedelta(days=chosen.days)

    def timed(format: str) -> tuple[bytes, Record, float, float]:
        begun, begun_cpu = time.perf_counter(), time.process_time()
        content, record = export(format, exporter, patient, date_from, date_to)
        return content, record, time.perf_counter() - begun, time.process_time() - begun_cpu

    first: dict[str, float] = {}
    outputs: dict[str, bytes] = {}
    for format in BUILDERS:
        outputs[format], record, first[format], _cpu = timed(format)
    rows = {table: len(items) for table, items in record.objects.items()}
    # Round-robin, one export of each format in turn: a slow moment of a shared
    # machine falls on every format alike.
    times: dict[str, list[float]] = {format: [] for format in BUILDERS}
    cpu: dict[str, list[float]] = {format: [] for format in BUILDERS}
    for _ in range(chosen.runs):
        for format in BUILDERS:
            _content, _record, wall, ours = timed(format)
            times[format].append(wall)
            cpu[format].append(ours)
    formats: dict[str, dict[str, Any]] = {}
    for format in BUILDERS:
        tracemalloc.start()
        try:
            export(format, exporter, patient, date_from, date_to)
            _current, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        formats[format] = {
            "first_s": round(first[format], 3),
            "min_s": round(min(times[format]), 3),
            "median_s": round(statistics.median(times[format]), 3),
            # This process's CPU (not PostgreSQL's): on a shared machine, the part
            # of the wall time that is ours.
            "cpu_median_s": round(statistics.median(cpu[format]), 3),
            "runs": len(times[format]),
            "bytes": len(outputs[format]),
            "peak_mib": round(peak / 2**20, 1),
            "well_formed": well_formed(format, outputs[format]),
        }
    collect_s = statistics.median(
        _collect(exporter, patient, date_from, date_to) for _ in range(max(1, chosen.runs))
    )
    checks = [
        {
            "target": f"{format}: median ≤ {limit:g} s",
            "value": f"{formats[format]['median_s']:.2f} s",
            "pass": formats[format]["median_s"] <= limit,
        }
        for format, limit in TARGETS.items()
    ]
    checks.append(
        {
            "target": "every format's output is well formed",
            "value": ", ".join(f for f, row in formats.items() if not row["well_formed"]) or "all",
            "pass": all(row["well_formed"] for row in formats.values()),
        }
    )
    results: dict[str, Any] = {
        "size": size,
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": machine(load=True),
        "patient": str(patient.pk),
        "period": {"from": date_from.isoformat(), "to": date_to.isoformat()},
        "rows": rows,
        "collect_s": round(collect_s, 3),
        "formats": formats,
        "checks": checks,
        "seconds": round(time.monotonic() - started, 1),
    }
    results["markdown"] = markdown(results)
    return results


def markdown(results: dict[str, Any]) -> str:
    from bench.pages import checks_table

    rows = ", ".join(f"{count} {table}" for table, count in results["rows"].items())
    lines = [
        f"Run {results['date']}, size `{results['size']}`: one patient, "
        f"{results['period']['from']} to {results['period']['to']} ({rows}); "
        f"collecting the record takes {results['collect_s']:.2f} s (median).",
        f"Machine: {results['machine']}.",
        "",
        "| format | first s | min s | median s | CPU s | runs | output KiB | peak MiB |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for format, row in results["formats"].items():
        lines.append(
            f"| {format} | {row['first_s']:.2f} | {row['min_s']:.2f} | {row['median_s']:.2f} | "
            f"{row['cpu_median_s']:.2f} | {row['runs']} | {row['bytes'] / 1024:.0f} | "
            f"{row['peak_mib']:.1f} |"
        )
    lines += ["", *checks_table(results["checks"])]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", choices=SIZES, default="small")
    parser.add_argument("--patient", help="export this patient's last year (no seeding)")
    parser.add_argument("--out", type=Path, help="JSON results (default var/bench/exports.json)")
    args = parser.parse_args()

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    # A development tool: it writes bench accounts into the dev database.
    os.environ.setdefault("DEBUG", "true")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "medtrack.settings")
    import django

    django.setup()
    from django.conf import settings

    # WeasyPrint's progress lines and its notes on SVG properties would bury the table.
    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    if not settings.DEBUG:
        print("The exports bench seeds bench accounts: DEBUG on only.", file=sys.stderr)
        return 2
    patient = None
    if args.patient:
        from medtrack.rls import system_context
        from patients.models import Patient

        with system_context("bench"):
            patient = Patient.objects.get(pk=args.patient)
    results = run(args.size, patient)
    out = args.out or Path(settings.BASE_DIR) / "var/bench/exports.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2) + "\n")
    print(results["markdown"])
    print(f"\n{out} ({results['seconds']} s)")
    return 0 if all(check["pass"] for check in results["checks"]) else 1


if __name__ == "__main__":
    sys.exit(main())
