"""``seed_bench`` and the jobs benchmark at their small size, on the test database:
they must load what they say and measure every job, not be fast."""

from __future__ import annotations

import datetime as dt
import io
import random
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.models import Count

from accounts.models import User
from bench import bench_jobs, database
from bench.data import seed_family
from caregivers.models import PatientCaregiver
from doses.generation import doses_generate
from doses.models import Dose
from medications.models import Medication, MedicationSchedule
from medtrack.rls import acting_as, system_context
from notifications.models import Notification
from patients.models import Patient

# Real commits: the load switches triggers off and on and rebuilds indexes.
pytestmark = pytest.mark.django_db(transaction=True)


def seed(**options: Any) -> str:
    out = io.StringIO()
    call_command("seed_bench", stdout=out, **options)
    return out.getvalue()


def secondary_objects() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexrelid::regclass::text FROM pg_index WHERE indrelid = 'doses'::regclass "
            "UNION ALL SELECT conname FROM pg_constraint WHERE conrelid = 'doses'::regclass "
            "ORDER BY 1"
        )
        return [name for (name,) in cursor.fetchall()]


def disabled_triggers() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_trigger WHERE NOT tgisinternal AND tgenabled = 'D'"
        )
        (count,) = cursor.fetchone()
    return count


def test_seed_bench_refuses_without_debug(settings: Any) -> None:
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG"):
        seed(families=1, days=3)


def test_a_dry_run_counts_rows_and_writes_none(settings: Any) -> None:
    settings.DEBUG = True
    output = seed(families=2, days=5, seed=3, dry_run=True)
    assert "Would load 2 families" in output
    assert "doses" in output
    assert not User.objects.exists()


def test_seed_bench_loads_realistic_families(settings: Any) -> None:
    settings.DEBUG = True
    before = secondary_objects()

    output = seed(families=8, days=30, seed=2)

    assert "History (pghistory) triggers disabled while loading" in output
    assert "enabled again" in output
    assert disabled_triggers() == 0
    assert secondary_objects() == before  # indexes and constraints built again
    with system_context("test"):
        teams = PatientCaregiver.objects.filter(role="primary").values("caregiver")
        per_caregiver = teams.annotate(n=Count("patient")).values_list("n", flat=True)
        assert len(per_caregiver) == 8
        assert all(1 <= n <= 5 for n in per_caregiver)
        per_patient = Medication.objects.values("patient").annotate(n=Count("id"))
        assert all(3 <= row["n"] <= 12 for row in per_patient)
        assert len(per_patient) == Patient.objects.count()
        frequencies = set(MedicationSchedule.objects.values_list("frequency", flat=True))
        assert "daily" in frequencies
        assert len(frequencies) >= 2
        statuses = dict(Dose.objects.values_list("status").annotate(n=Count("id")))
        assert statuses["taken"] > statuses.get("missed", 0) + statuses.get("skipped", 0)
        assert statuses["pending"] > 0  # due soon, and the next two weeks
        assert not Dose.objects.filter(status="skipped", skip_reason="").exists()
        missed = Dose.objects.filter(status="missed").count()
        notified = Notification.objects.filter(type="dose_missed")
        assert notified.values("dedupe_key").distinct().count() == missed
        assert Notification.objects.count() > 0
        for table in ("measurements", "daily_logs", "appointments", "files"):
            with connection.cursor() as cursor:
                cursor.execute(f"SELECT count(*) FROM {table}")
                assert cursor.fetchone()[0] > 0, table
    recorded = database.recorded("seed_bench")
    assert recorded is not None
    assert recorded["params"] == {"families": 8, "days": 30, "seed": 2}
    with system_context("test"):
        assert recorded["info"]["counts"]["doses"] == Dose.objects.count()

    # The doses are the generator's own: making them again from scratch adds none.
    now = dt.datetime.fromisoformat(recorded["info"]["now"])
    with system_context("test"):
        MedicationSchedule.objects.update(generated_until=None)
    assert doses_generate(now=now, since=now - dt.timedelta(days=20)) == 0


def test_the_same_seed_twice_is_refused(settings: Any) -> None:
    settings.DEBUG = True
    seed(families=1, days=3, seed=4)
    with pytest.raises(CommandError, match="seed 4"):
        seed(families=1, days=3, seed=4)


def test_the_small_jobs_benchmark_measures_every_job(settings: Any) -> None:
    settings.DEBUG = True

    results = bench_jobs.run("small")

    assert results["rows"]["doses"] > 0
    for moment in results["moments"].values():
        assert set(bench_jobs.TIMED) <= set(moment["jobs"])
    after_a_day = results["moments"]["after a day down"]["jobs"]
    assert after_a_day["sweep_missed_doses"]["rows"] > 0
    assert after_a_day["generate_doses"]["rows"] > 0
    assert results["checks"]
    assert all(check["pass"] for check in results["checks"]), results["checks"]
    assert "| sweep_missed_doses |" in results["markdown"]
    # Rolled back: the data set is as loaded, for the next run.
    with system_context("test"):
        assert Dose.objects.count() == results["rows"]["doses"]


def test_seed_family_gives_one_caregiver_realistic_patients_they_can_see() -> None:
    family = seed_family(random.Random(9), "pages@bench.example.com", patients=2, days=14)

    user = User.objects.get(email="pages@bench.example.com")
    assert user.pk == family.user_id
    with acting_as(user.pk):  # as the app sees it: row level security on
        assert set(Patient.objects.values_list("pk", flat=True)) == set(family.patient_ids)
        assert Medication.objects.count() >= 6
        assert Dose.objects.filter(status="taken").exists()
