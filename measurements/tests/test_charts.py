"""The SVG line chart: structure, geometry, markers, axes, escaping and speed."""

from __future__ import annotations

import datetime as dt
import itertools
import random
import re
import xml.etree.ElementTree as ET
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.utils import translation
from hypothesis import given, settings
from hypothesis import strategies as st

from measurements.charts import Band, Series, line_chart

NS = "{http://www.w3.org/2000/svg}"
START = dt.datetime(2024, 11, 1, tzinfo=dt.UTC)
WEEK = START + dt.timedelta(days=7)
MADRID = ZoneInfo("Europe/Madrid")


def daily(values: list[float], start: dt.datetime = START) -> list[tuple[dt.datetime, float]]:
    return [(start + dt.timedelta(hours=12 + 24 * i), v) for i, v in enumerate(values)]


def markup(**kwargs: Any) -> str:
    defaults: dict[str, Any] = {
        "series": [Series("Systolic", daily([120, 135, 128]))],
        "start": START,
        "end": WEEK,
        "title": "Blood pressure",
        "description": "Blood pressure over the last week.",
    }
    return str(line_chart(**{**defaults, **kwargs}))


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)  # noqa: S314 - our own output, parsed to prove it well-formed


def render(**kwargs: Any) -> ET.Element:
    return parse(markup(**kwargs))


def with_class(root: ET.Element, tag: str, css: str) -> list[ET.Element]:
    return [el for el in root.iter(NS + tag) if css in el.get("class", "").split()]


def pairs(polyline: ET.Element) -> list[tuple[float, float]]:
    return [
        (float(x), float(y)) for x, y in (p.split(",") for p in polyline.get("points").split())
    ]


def y_ticks(root: ET.Element) -> dict[str, float]:
    """Tick label → its y coordinate."""
    return {
        el.text: float(el.get("y"))
        for el in root.iter(NS + "text")
        if el.get("class") == "chart-axis"
    }


def baseline(root: ET.Element) -> ET.Element:
    return with_class(root, "line", "chart-axis-line")[0]


def dates(root: ET.Element) -> list[str]:
    return [el.text for el in with_class(root, "text", "chart-date")]


def value_to_y(ticks: dict[str, float], value: float) -> float:
    """Interpolate a value's y from the first and last tick labels."""
    (low, y_low), *_, (high, y_high) = sorted((float(k), v) for k, v in ticks.items())
    return y_low + (value - low) * (y_high - y_low) / (high - low)


def test_svg_is_well_formed_and_labelled_by_its_title_and_desc() -> None:
    root = render(title="Blood pressure", description="Seven days of readings.")
    assert root.tag == NS + "svg"
    assert root.get("role") == "img"
    assert root.get("viewBox") == "0 0 640 240"
    assert root.get("class").split() == ["chart"]
    title, desc = root[0], root[1]
    assert (title.tag, title.text) == (NS + "title", "Blood pressure")
    assert (desc.tag, desc.text) == (NS + "desc", "Seven days of readings.")
    assert root.get("aria-labelledby") == f"{title.get('id')} {desc.get('id')}"


def test_ids_are_unique_per_chart() -> None:
    first, second = render(), render()
    assert first[0].get("id") != second[0].get("id")
    assert first[1].get("id") != second[1].get("id")


def test_output_is_deterministic_apart_from_the_ids() -> None:
    first, second = markup(), markup()
    ids = re.compile(r"chart-[0-9a-f]+-")
    assert first != second
    assert ids.sub("ID-", first) == ids.sub("ID-", second)


@pytest.mark.parametrize("count", [1, 7, 365, 1500])
def test_polyline_has_one_pair_per_point(count: int) -> None:
    points = daily([100 + (i % 40) for i in range(count)])
    random.Random(count).shuffle(points)
    root = render(series=[Series("Weight", points)], end=START + dt.timedelta(days=count))
    (polyline,) = root.iter(NS + "polyline")
    coords = pairs(polyline)
    assert len(coords) == count
    assert [x for x, _ in coords] == sorted(x for x, _ in coords)
    assert polyline.get("fill") == "none"
    assert polyline.get("class").split() == ["chart-line", "series-0"]
    assert all(re.fullmatch(r"\d+\.\d,\d+\.\d", p) for p in polyline.get("points").split())


def test_points_are_sorted_by_time_and_scaled_on_both_axes() -> None:
    points = daily([100, 110, 120, 130])
    root = render(series=[Series("Pulse", points[::-1])], end=START + dt.timedelta(days=4))
    coords = pairs(next(root.iter(NS + "polyline")))
    xs, ys = [x for x, _ in coords], [y for _, y in coords]
    assert xs == sorted(xs)
    assert ys == sorted(ys, reverse=True)
    ticks = y_ticks(root)
    for (_, value), y in zip(points, ys, strict=True):
        assert y == pytest.approx(value_to_y(ticks, value), abs=0.15)
    # Half a day into a four-day window is one eighth of the plot width.
    line = baseline(root)
    left, right = float(line.get("x1")), float(line.get("x2"))
    assert xs[0] == pytest.approx(left + (right - left) / 8, abs=0.06)


def test_two_series_draw_two_lines_with_their_classes_and_markers() -> None:
    systolic = Series("Systolic", daily([120, 135, 128, 150]))
    diastolic = Series("Diastolic", daily([80, 85, 82]), css_class="series-1")
    root = render(series=[systolic, diastolic])
    lines = list(root.iter(NS + "polyline"))
    assert [el.get("class") for el in lines] == ["chart-line series-0", "chart-line series-1"]
    assert [len(pairs(el)) for el in lines] == [4, 3]
    assert len(with_class(root, "circle", "series-0")) == 4
    assert len(with_class(root, "circle", "series-1")) == 3
    assert with_class(root, "circle", "chart-flagged") == []


def test_point_titles_show_value_and_local_time() -> None:
    at = dt.datetime(2024, 11, 3, 13, 5, tzinfo=dt.UTC)
    points = [(at, 150.0), (at + dt.timedelta(hours=1), 5.44), (at + dt.timedelta(hours=2), 7.96)]
    root = render(series=[Series("Systolic", points)], zone=MADRID)
    titles = [c.find(NS + "title").text for c in root.iter(NS + "circle")]
    assert titles == [
        "Systolic 150 — 3 Nov 14:05",
        "Systolic 5.4 — 3 Nov 15:05",
        "Systolic 8 — 3 Nov 16:05",
    ]
    with_unit = render(series=[Series("Systolic", points[:1])], zone=MADRID, unit="mmHg")
    assert next(with_unit.iter(NS + "circle")).find(NS + "title").text == (
        "Systolic 150 mmHg — 3 Nov 14:05"
    )


def test_point_titles_use_the_language_decimal_separator() -> None:
    with translation.override("es"):
        root = render(series=[Series("Glucosa", daily([5.5]))], zone=MADRID)
    assert next(root.iter(NS + "circle")).find(NS + "title").text.startswith("Glucosa 5,5 — ")


def test_many_points_have_no_plain_markers() -> None:
    end = START + dt.timedelta(days=121)
    root = render(series=[Series("Weight", daily([70.0] * 121))], end=end)
    assert list(root.iter(NS + "circle")) == []
    root = render(series=[Series("Weight", daily([70.0] * 120))], end=end)
    assert len(list(root.iter(NS + "circle"))) == 120


def test_flagged_points_are_marked_even_beyond_the_marker_limit() -> None:
    values = [120 + (i * 37) % 50 for i in range(365)]
    expected = sum(v >= 160 for v in values)
    root = render(
        series=[Series("Systolic", daily(values))],
        end=START + dt.timedelta(days=365),
        flagged=lambda _series, _at, value: value >= 160,
    )
    circles = list(root.iter(NS + "circle"))
    assert 0 < expected == len(circles)
    assert all(
        c.get("class").split() == ["chart-point", "chart-flagged", "series-0"] for c in circles
    )
    line = set(pairs(next(root.iter(NS + "polyline"))))
    assert {(float(c.get("cx")), float(c.get("cy"))) for c in circles} <= line
    assert all(float(c.get("r")) > 2.5 for c in circles)


def test_flagged_points_are_not_drawn_twice() -> None:
    values = [120, 165, 130, 170, 125]
    root = render(
        series=[Series("Systolic", daily(values))],
        flagged=lambda _series, _at, value: value > 160,
    )
    assert len(list(root.iter(NS + "circle"))) == 5
    flagged = with_class(root, "circle", "chart-flagged")
    assert [c.find(NS + "title").text.split()[1] for c in flagged] == ["165", "170"]


def test_flagged_predicate_gets_the_series_and_each_reading() -> None:
    series = Series("Glucose", daily([5.0, 9.5]))
    calls: list[tuple[Series, dt.datetime, float]] = []

    def flagged(item: Series, at: dt.datetime, value: float) -> bool:
        calls.append((item, at, value))
        return False

    render(series=[series], flagged=flagged)
    assert calls == [(series, at, value) for at, value in series.points]


def test_band_spans_its_values_beneath_the_lines() -> None:
    root = render(
        series=[Series("Systolic", daily([100, 160, 130]))],
        bands=[Band(90, 140, "Target 90-140")],
    )
    (rect,) = with_class(root, "rect", "chart-band")
    assert rect.find(NS + "title").text == "Target 90-140"
    top, height = float(rect.get("y")), float(rect.get("height"))
    ticks = y_ticks(root)
    assert top == pytest.approx(value_to_y(ticks, 140), abs=0.15)
    assert top + height == pytest.approx(value_to_y(ticks, 90), abs=0.15)
    assert 0 < top < top + height < float(baseline(root).get("y1"))
    line = baseline(root)
    assert float(rect.get("x")) == float(line.get("x1"))
    assert float(rect.get("x")) + float(rect.get("width")) == pytest.approx(float(line.get("x2")))
    children = list(root)
    assert children.index(rect) < children.index(next(root.iter(NS + "polyline")))


def test_band_edges_widen_the_range() -> None:
    root = render(series=[Series("Glucose", daily([6, 7]))], bands=[Band(4, 10)])
    values = [float(label) for label in y_ticks(root)]
    assert min(values) <= 4
    assert max(values) >= 10
    assert 3 <= len(values) <= 6


def test_unbounded_band_reaches_the_plot_edge() -> None:
    root = render(
        series=[Series("Systolic", daily([100, 160]))], bands=[Band(None, 110), Band(150, None)]
    )
    below, above = with_class(root, "rect", "chart-band")
    bottom = float(baseline(root).get("y1"))
    top = min(y_ticks(root).values())
    assert float(below.get("y")) + float(below.get("height")) == pytest.approx(bottom)
    assert float(above.get("y")) == pytest.approx(top)
    assert below.find(NS + "title") is None


def test_band_outside_a_forced_range_is_left_out() -> None:
    root = render(
        series=[Series("Mood", daily([3]))], y_min=1, y_max=5, bands=[Band(6, 8), Band(4, 9)]
    )
    (rect,) = with_class(root, "rect", "chart-band")
    ticks = y_ticks(root)
    assert float(rect.get("y")) == pytest.approx(ticks["5"])
    assert float(rect.get("y")) + float(rect.get("height")) == pytest.approx(ticks["4"])


@pytest.mark.parametrize("series", [[], [Series("Mood", [])], [Series("Mood", daily([3], WEEK))]])
def test_no_readings_still_draws_the_axes_and_says_so(series: list[Series]) -> None:
    root = render(series=series, title='Mood <"&">')
    assert root[0].text == 'Mood <"&">'
    assert list(root.iter(NS + "polyline")) == []
    (message,) = with_class(root, "text", "chart-empty")
    assert message.text == "No readings in this period"
    assert dates(root) == ["1 Nov", "4 Nov", "8 Nov"]
    assert with_class(root, "line", "chart-axis-line")


def test_no_readings_with_a_forced_range_keeps_its_ticks() -> None:
    root = render(series=[Series("Pain", [])], y_min=0, y_max=10)
    assert list(y_ticks(root)) == ["0", "2", "4", "6", "8", "10"]


def test_text_is_escaped_and_round_trips() -> None:
    nasty = "<script>alert(\"x\")</script> & 'more'"
    out = markup(
        title=nasty,
        description=nasty,
        series=[Series(nasty, daily([1]), css_class='x" onload="y')],
        bands=[Band(0, 2, nasty)],
        unit=nasty,
    )
    assert "<script>" not in out
    root = parse(out)
    assert root[0].text == nasty
    assert root[1].text == nasty
    assert with_class(root, "rect", "chart-band")[0].find(NS + "title").text == nasty
    assert with_class(root, "text", "chart-unit")[0].text == nasty
    assert next(root.iter(NS + "circle")).find(NS + "title").text.startswith(nasty + " 1 ")
    assert next(root.iter(NS + "polyline")).get("class") == 'chart-line x" onload="y'
    assert all(el.get("onload") is None for el in root.iter())


def test_forced_range_puts_its_ends_on_the_plot_edges() -> None:
    root = render(series=[Series("Mood", daily([1, 3, 5, 2]))], y_min=1, y_max=5)
    ticks = y_ticks(root)
    assert list(ticks) == ["1", "2", "3", "4", "5"]
    ys = [y for _, y in pairs(next(root.iter(NS + "polyline")))]
    grid = [float(el.get("y1")) for el in with_class(root, "line", "chart-grid")]
    assert ys[0] == ticks["1"] == float(baseline(root).get("y1")) == max(grid)
    assert ys[2] == ticks["5"] == min(grid)


def test_values_outside_a_forced_range_stay_on_the_plot() -> None:
    root = render(series=[Series("Pain", daily([-3, 4, 14]))], y_min=0, y_max=10)
    ticks = y_ticks(root)
    ys = [y for _, y in pairs(next(root.iter(NS + "polyline")))]
    assert ys[0] == ticks["0"]
    assert ys[2] == ticks["10"]
    titles = [c.find(NS + "title").text.split()[1] for c in root.iter(NS + "circle")]
    assert titles == ["-3", "4", "14"]


def test_unforced_ticks_are_round_evenly_spaced_and_cover_the_data() -> None:
    root = render(series=[Series("Systolic", daily([93, 157, 121, 140]))])
    ticks = y_ticks(root)
    values = sorted(float(label) for label in ticks)
    assert 3 <= len(values) <= 6
    steps = {b - a for a, b in itertools.pairwise(values)}
    assert len(steps) == 1
    assert steps.pop() in {1, 2, 2.5, 5, 10, 20, 25, 50}
    assert all(v % 5 == 0 for v in values)
    assert values[0] <= 93
    assert values[-1] >= 157
    ys = [y for _, y in pairs(next(root.iter(NS + "polyline")))]
    assert all(min(ticks.values()) < y < max(ticks.values()) for y in ys)


def test_decimal_ticks_are_labelled_consistently() -> None:
    root = render(series=[Series("Glucose", daily([5.1, 5.6, 5.3]))])
    labels = list(y_ticks(root))
    assert 3 <= len(labels) <= 6
    assert all(re.fullmatch(r"\d+\.\d", label) for label in labels)


def test_equal_values_get_a_range_around_them() -> None:
    root = render(series=[Series("Weight", daily([72.0] * 5))])
    ticks = y_ticks(root)
    assert 3 <= len(ticks) <= 6
    values = [float(label) for label in ticks]
    assert min(values) < 72 < max(values)
    ys = {y for _, y in pairs(next(root.iter(NS + "polyline")))}
    assert len(ys) == 1
    assert min(ticks.values()) < ys.pop() < max(ticks.values())


def test_non_negative_data_does_not_get_a_negative_axis() -> None:
    root = render(series=[Series("Pain", daily([0, 3, 7]))])
    assert min(float(label) for label in y_ticks(root)) == 0


def test_x_labels_show_start_middle_and_end_dates_in_the_zone() -> None:
    start = dt.datetime(2024, 10, 31, 23, 30, tzinfo=dt.UTC)
    root = render(start=start, end=start + dt.timedelta(days=14), zone=MADRID)
    assert dates(root) == ["1 Nov", "8 Nov", "15 Nov"]
    assert dates(render(start=start, end=start + dt.timedelta(days=14))) == [
        "31 Oct",
        "7 Nov",
        "14 Nov",
    ]


def test_long_windows_show_the_year() -> None:
    root = render(end=START + dt.timedelta(days=365))
    assert dates(root) == ["1 Nov 2024", "2 May 2025", "1 Nov 2025"]


def test_unit_is_shown_once() -> None:
    root = render(unit="mmHg")
    assert [el.text for el in with_class(root, "text", "chart-unit")] == ["mmHg"]
    assert with_class(render(), "text", "chart-unit") == []


def test_compact_chart() -> None:
    root = render(
        series=[Series("Mood", daily([1, 2, 5, 4, 3]))],
        y_min=1,
        y_max=5,
        compact=True,
        width=320,
        height=100,
        flagged=lambda _series, _at, value: value == 1,
    )
    assert root.get("viewBox") == "0 0 320 100"
    assert "chart" in root.get("class").split()
    assert list(y_ticks(root)) == ["1", "3", "5"]
    assert dates(root) == ["1 Nov", "8 Nov"]
    (circle,) = root.iter(NS + "circle")
    assert "chart-flagged" in circle.get("class").split()


def test_compact_chart_keeps_at_most_three_ticks() -> None:
    root = render(series=[Series("Sleep", daily([5.5, 8, 6.25, 9]))], compact=True)
    assert 2 <= len(y_ticks(root)) <= 3
    root = render(series=[Series("Pain", daily([2]))], y_min=0, y_max=10, compact=True)
    assert list(y_ticks(root)) == ["0", "5", "10"]


def test_a_lone_point_is_marked_even_when_compact() -> None:
    root = render(series=[Series("Mood", daily([4]))], compact=True, width=320, height=100)
    assert len(list(root.iter(NS + "circle"))) == 1


def test_invalid_arguments_are_refused() -> None:
    with pytest.raises(ValueError, match="end"):
        render(end=START)
    with pytest.raises(ValueError, match="y_min"):
        render(y_min=5, y_max=5)


def assert_inside_viewbox(root: ET.Element) -> None:
    _, _, width, height = (float(v) for v in root.get("viewBox").split())
    for el in root.iter():
        for attr, limit in (("x", width), ("cx", width), ("x1", width), ("x2", width)):
            if el.get(attr) is not None:
                assert 0 <= float(el.get(attr)) <= limit, (el.tag, attr)
        for attr, limit in (("y", height), ("cy", height), ("y1", height), ("y2", height)):
            if el.get(attr) is not None:
                assert 0 <= float(el.get(attr)) <= limit, (el.tag, attr)
        if el.tag == NS + "rect":
            assert float(el.get("x")) + float(el.get("width")) <= width
            assert float(el.get("y")) + float(el.get("height")) <= height
            assert float(el.get("height")) >= 0
        if el.tag == NS + "polyline":
            assert all(0 <= x <= width and 0 <= y <= height for x, y in pairs(el))


finite = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_infinity=False)


@settings(max_examples=60, deadline=None)
@given(
    values=st.lists(finite, max_size=40),
    offsets=st.lists(st.integers(min_value=0, max_value=7 * 24 * 60), min_size=40, max_size=40),
    band=st.tuples(st.none() | finite, st.none() | finite),
    forced=st.none() | st.tuples(finite, finite).filter(lambda t: t[1] - t[0] >= 0.01),
    compact=st.booleans(),
)
def test_every_coordinate_is_inside_the_viewbox(
    values: list[float],
    offsets: list[int],
    band: tuple[float | None, float | None],
    forced: tuple[float, float] | None,
    compact: bool,
) -> None:
    points = [(START + dt.timedelta(minutes=m), v) for m, v in zip(offsets, values, strict=False)]
    y_min, y_max = forced or (None, None)
    root = render(
        series=[Series("Reading", points)],
        end=WEEK,
        bands=[Band(*band)],
        y_min=y_min,
        y_max=y_max,
        compact=compact,
        flagged=lambda _series, _at, value: value > 0,
    )
    assert_inside_viewbox(root)
    if points:
        assert len(pairs(next(root.iter(NS + "polyline")))) == len(points)
    assert len(y_ticks(root)) <= (3 if compact else 6)


def test_fixed_examples_are_inside_the_viewbox() -> None:
    two = [
        Series("Systolic", daily([120, 190, 95])),
        Series("Diastolic", daily([80, 60, 110]), "series-1"),
    ]
    assert_inside_viewbox(render(series=two, bands=[Band(90, 140)], unit="mmHg"))
    assert_inside_viewbox(render(series=two, compact=True, width=320, height=100, unit="mmHg"))


@pytest.mark.parametrize("everything_flagged", [False, True])
def test_fifteen_hundred_points_mark_only_the_flagged_ones(everything_flagged: bool) -> None:
    """Speed is measured by ``make bench``; here, what a long series draws."""
    values = [70 + (i % 37) / 10 for i in range(1500)]
    out = markup(
        series=[Series("Weight", daily(values))],
        end=START + dt.timedelta(days=1500),
        flagged=lambda _series, _at, _value: everything_flagged,
        zone=MADRID,
    )
    assert out.count("<circle") == (1500 if everything_flagged else 0)
