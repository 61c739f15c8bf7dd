"""The load bench's small size: gunicorn with production settings on the test
database for a few seconds, driven by wrk. It must work and judge every target, not
be fast (``bench/bench_load.py --size large`` judges them). Skipped without wrk
(``apt-get install -y wrk``)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bench import bench_load

# Committed data: gunicorn's workers read it over their own connections.
pytestmark = pytest.mark.django_db(transaction=True)
needs_wrk = pytest.mark.skipif(shutil.which("wrk") is None, reason="wrk is not installed")


@needs_wrk
def test_the_small_load_bench_serves_both_pages_over_https_with_a_session(
    tmp_path: Path,
) -> None:
    results = bench_load.run("small", work_dir=tmp_path)

    assert set(results["pages"]) == {"floor", "dashboard"}
    for name, row in results["pages"].items():
        assert row["requests"] > 0, name
        assert row["errors"] == 0, (name, row)
        assert 0 < row["p50_ms"] <= row["p95_ms"], name
    targets = [check["target"] for check in results["checks"]]
    assert targets == [
        "gunicorn runs with production settings",
        "dashboard: ≥ 0.33 x the floor's requests/s",
        "floor: every response a 200",
        "dashboard: every response a 200",
    ]
    assert all(isinstance(check["pass"], bool) for check in results["checks"])
    assert results["checks"][0]["pass"], results["checks"][0]
    assert "| dashboard (/) |" in results["markdown"]
    log = (tmp_path / "load-gunicorn.log").read_text()
    assert "Shutting down: Master" in log


def test_without_wrk_the_command_says_how_to_install_it(tmp_path: Path) -> None:
    empty = tmp_path / "bin"
    empty.mkdir()
    done = subprocess.run(
        [sys.executable, str(Path(bench_load.__file__)), "--size", "small"],
        env={"PATH": str(empty)},
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )

    assert done.returncode == 2
    assert "apt-get install -y wrk" in done.stderr
