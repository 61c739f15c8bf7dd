"""The exports bench's small size on the test database: it must work and judge every
target, not be fast (the targets are judged by ``bench/bench_exports.py --size large``)."""

from __future__ import annotations

import pytest

from bench import bench_exports
from exports.services import BUILDERS
from patients.models import Patient

pytestmark = pytest.mark.django_db


def test_the_small_bench_times_every_format_and_judges_each_target() -> None:
    results = bench_exports.run("small")

    assert set(results["formats"]) == set(BUILDERS)
    for format, row in results["formats"].items():
        assert row["well_formed"], format
        assert row["bytes"] > 0, format
        assert 0 < row["min_s"] <= row["median_s"], format
        assert row["runs"] == bench_exports.SIZES["small"].runs
    targets = [check["target"] for check in results["checks"]]
    assert [t for t in targets if t.startswith(("fhir:", "csv:", "pdf:"))] == [
        "fhir: median ≤ 2 s",
        "csv: median ≤ 2 s",
        "pdf: median ≤ 5 s",
    ]
    assert all(isinstance(check["pass"], bool) and check["value"] for check in results["checks"])
    assert results["rows"]["doses"] > 0
    assert results["rows"]["measurements"] > 0
    assert "| fhir |" in results["markdown"]
    assert "| target |" in results["markdown"]


def test_a_second_run_reuses_the_bench_patient() -> None:
    size = bench_exports.SIZES["small"]
    user, patient = bench_exports.seed_patient(size)

    assert bench_exports.seed_patient(size) == (user, patient)
    assert user.email.endswith("@bench.example.com")


def test_a_given_patient_is_exported_without_seeding(patient: Patient) -> None:
    results = bench_exports.run("small", patient=patient)

    assert results["patient"] == str(patient.pk)
    assert all(row["well_formed"] for row in results["formats"].values())
