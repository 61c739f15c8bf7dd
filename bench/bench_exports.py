"""Benchmark (run by path: ``pytest bench/bench_exports.py -s``): each export
format for a patient with a year of data."""

from __future__ import annotations

import datetime as dt
import time

import pytest
from django.utils import timezone

from bench.bench_dashboard import a_year_of
from conftest import make_patient, make_user
from exports import data
from exports.services import BUILDERS
from medtrack.rls import system_context

pytestmark = pytest.mark.django_db


def test_each_format_with_a_year_of_data() -> None:
    user = make_user("bench@example.com", "Bench Mark")
    patient = make_patient(user, "Patient Year")
    a_year_of(patient, user)
    today = timezone.localdate()
    for format, (build, _mime, _extension) in BUILDERS.items():
        started = time.perf_counter()
        with system_context("bench"):
            content = build(data.collect(patient, today - dt.timedelta(days=365), today))
        seconds = time.perf_counter() - started
        print(f"\n{format}: {seconds:.2f} s, {len(content) / 1024:.0f} KiB")
