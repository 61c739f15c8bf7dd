"""``make bench``'s small size end to end on the test database: it must work, not be
fast (the targets are judged by ``make bench`` itself)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench import pages

pytestmark = pytest.mark.django_db
#: Pages over the target today (issue 16 leaves them to be brought down), held at
#: the counts their own tests pin (journal/tests/test_timeline.py, audit/tests/test_activity.py).
OVER_TARGET = {"timeline": 18, "activity": 17}


def test_the_small_benchmark_measures_every_page_with_few_queries(tmp_path: Path) -> None:
    out = tmp_path / "results.json"
    docs = tmp_path / "performance.md"
    docs.write_text(f"# Performance\n\n{pages.MARK_START}\n{pages.MARK_END}\n\nAfter.\n")

    pages.run("small", out, docs)

    results = json.loads(out.read_text())
    assert set(results["pages"]) == set(pages.PAGES)
    for page, row in results["pages"].items():
        assert 0 < row["queries"] <= OVER_TARGET.get(page, pages.MAX_QUERIES), page
    assert "| dashboard |" in docs.read_text()
    assert docs.read_text().endswith("After.\n")
