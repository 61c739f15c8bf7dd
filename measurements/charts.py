"""Dependency-free SVG line charts for vital-sign and journal trends.

``line_chart`` returns one self-contained, accessible ``<svg>`` element that
works inline in HTML, in print and in PDF exports. Colours live in the site
stylesheet: the markup only carries classes (``chart-band``, ``chart-grid``,
``chart-axis``, ``chart-line``, ``chart-point``, ``chart-flagged`` and each
series' own ``css_class``).
"""

from __future__ import annotations

import datetime
import math
import uuid
import zoneinfo
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from django.utils import timezone
from django.utils.formats import date_format, get_format
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext

MAX_MARKED_POINTS = 120
LONG_WINDOW = datetime.timedelta(days=180)
_NICE_MANTISSAS = (1.0, 2.0, 2.5, 5.0)


@dataclass(frozen=True)
class Series:
    label: str
    points: Sequence[tuple[datetime.datetime, float]]
    css_class: str = "series-0"


@dataclass(frozen=True)
class Band:
    low: float | None
    high: float | None
    label: str = ""


@dataclass(frozen=True)
class Marker:
    """A moment to point at (a medication change): a dashed line and a number;
    the caller lists the numbers' meanings beside the chart and in its description."""

    at: datetime.datetime
    label: str


Flagged = Callable[[Series, datetime.datetime, float], bool]
_Tooltip = Callable[[str, datetime.datetime, float], str]


@dataclass(frozen=True)
class _Layout:
    left: float
    right: float
    top: float
    bottom: float
    font_size: int
    point_radius: float
    flagged_radius: float
    max_ticks: int
    compact: bool

    @property
    def middle_x(self) -> float:
        return (self.left + self.right) / 2


@dataclass(frozen=True)
class _Scale:
    layout: _Layout
    start: datetime.datetime
    seconds: float
    low: float
    high: float

    def x(self, at: datetime.datetime) -> float:
        share = (at - self.start).total_seconds() / self.seconds
        return self.layout.left + share * (self.layout.right - self.layout.left)

    def y(self, value: float) -> float:
        share = (min(max(value, self.low), self.high) - self.low) / (self.high - self.low)
        return self.layout.bottom - share * (self.layout.bottom - self.layout.top)


def line_chart(
    *,
    series: Sequence[Series],
    start: datetime.datetime,
    end: datetime.datetime,
    title: str,
    description: str,
    bands: Sequence[Band] = (),
    flagged: Flagged | None = None,
    zone: zoneinfo.ZoneInfo | None = None,
    width: int = 640,
    height: int = 240,
    y_min: float | None = None,
    y_max: float | None = None,
    compact: bool = False,
    unit: str = "",
    markers: Sequence[Marker] = (),
) -> SafeString:
    """Render ``series`` between ``start`` and ``end`` as an SVG line chart.

    Points outside the window or with a non-finite value are left out; values
    outside a forced ``y_min``/``y_max`` range are drawn at its edge. Times are
    shown in ``zone``, else in the current time zone. ``flagged`` is called
    with each drawn point (its value as a float); those it flags are always
    marked.
    """
    if end <= start:
        raise ValueError("end must be after start")
    if y_min is not None and y_max is not None and y_min >= y_max:
        raise ValueError("y_min must be below y_max")
    layout = _layout(width, height, compact=compact, unit=bool(unit))
    visible = [(s, _visible_points(s, start, end)) for s in series]
    values = [value for _, points in visible for _, value in points]
    values += [edge for band in bands for edge in (band.low, band.high) if edge is not None]
    low, high, ticks = _y_axis(values, y_min, y_max, layout.max_ticks)
    scale = _Scale(layout, start, (end - start).total_seconds(), low, high)
    chart_id = f"chart-{uuid.uuid4().hex[:12]}"
    shown = [m for m in markers if start <= m.at <= end]
    if shown:
        description += " " + " ".join(
            f"{number}: {marker.label} ({_day(marker.at, zone)})."
            for number, marker in enumerate(shown, start=1)
        )
    css = "chart chart-compact" if compact else "chart"
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img" '
        f'aria-labelledby="{chart_id}-title {chart_id}-desc" class="{css}" '
        f'font-size="{layout.font_size}">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
        f'<desc id="{chart_id}-desc">{escape(description)}</desc>',
    ]
    parts += _bands(bands, scale)
    parts += _y_ticks(ticks, scale)
    parts += _x_axis(start, end, zone, layout)
    parts += _markers(shown, scale)
    if unit:
        parts.append(_text(layout.left, layout.top - 6, unit, "chart-axis chart-unit", "start"))
    tooltip = _tooltips(zone, unit)
    drawn = [_series(item, pts, scale, flagged, tooltip) for item, pts in visible if pts]
    if drawn:
        parts += [line for line, _, _ in drawn]
        parts += [marker for _, plain, _ in drawn for marker in plain]
        parts += [marker for _, _, alarming in drawn for marker in alarming]
    else:
        message = gettext("No readings in this period")
        middle_y = (layout.top + layout.bottom) / 2
        parts.append(_text(layout.middle_x, middle_y, message, "chart-empty", "middle"))
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every interpolated string is escaped


def _layout(width: int, height: int, *, compact: bool, unit: bool) -> _Layout:
    if compact:
        box = _box(width, height, left=30, right=6, top=14 if unit else 6, bottom=16)
        return _Layout(
            *box, font_size=10, point_radius=1.5, flagged_radius=3, max_ticks=3, compact=True
        )
    box = _box(width, height, left=48, right=12, top=20, bottom=26)
    return _Layout(
        *box, font_size=11, point_radius=2.5, flagged_radius=4, max_ticks=6, compact=False
    )


def _box(
    width: int, height: int, *, left: float, right: float, top: float, bottom: float
) -> tuple[float, float, float, float]:
    """The plot's left, right, top and bottom edges inside the margins."""
    if width <= left + right or height <= top + bottom:
        raise ValueError("chart is too small for its margins")
    return left, width - right, top, height - bottom


def _visible_points(
    item: Series, start: datetime.datetime, end: datetime.datetime
) -> list[tuple[datetime.datetime, float]]:
    points = [(at, float(v)) for at, v in item.points if start <= at <= end and math.isfinite(v)]
    return sorted(points, key=lambda point: point[0])


def _y_axis(
    values: list[float], y_min: float | None, y_max: float | None, max_ticks: int
) -> tuple[float, float, list[float]]:
    """The value range of the plot and the ticks to label within it."""
    if not values and (y_min is None or y_max is None):
        low = y_min if y_min is not None else (y_max - 1 if y_max is not None else 0.0)
        return low, low + 1, []
    fixed = (y_min is not None, y_max is not None)
    low, high = _padded_range(values, y_min, y_max)
    step, origin = _tick_step(low, high, max_ticks, fixed)
    low, high = _snap(low, high, step, origin, fixed)
    return low, high, _ticks(low, high, step, origin)


def _padded_range(
    values: list[float], y_min: float | None, y_max: float | None
) -> tuple[float, float]:
    low = min(values, default=y_min if y_min is not None else 0.0)
    high = max(values, default=y_max if y_max is not None else 1.0)
    if high - low <= 1e-6 * max(1.0, abs(low), abs(high)):
        spread = max(abs(low) * 0.1, 1.0)
        low, high = low - spread, high + spread
    padding = (high - low) * 0.05
    if y_min is not None:
        low = y_min
    elif min(values) >= 0 > low - padding:
        low = 0.0
    else:
        low -= padding
    high = y_max if y_max is not None else high + padding
    if high <= low:
        spread = max(abs(low if y_min is not None else high) * 0.1, 1.0)
        low, high = (low, low + spread) if y_min is not None else (high - spread, high)
    return low, high


def _tick_step(
    low: float, high: float, max_ticks: int, fixed: tuple[bool, bool]
) -> tuple[float, float]:
    """The smallest round step giving at most ``max_ticks`` ticks, and its origin.

    A fully forced range whose length is a multiple of the step is labelled
    from its bottom (mood 1-5 becomes 1, 3, 5); otherwise ticks sit on
    multiples of the step.
    """
    exponent = math.floor(math.log10((high - low) / max_ticks)) - 1
    while True:
        for mantissa in _NICE_MANTISSAS:
            step = mantissa * 10.0**exponent
            origin = low if all(fixed) and _is_multiple(high - low, step) else 0.0
            snapped = _snap(low, high, step, origin, fixed)
            if len(_ticks(*snapped, step, origin)) <= max_ticks:
                return step, origin
        exponent += 1


def _snap(
    low: float, high: float, step: float, origin: float, fixed: tuple[bool, bool]
) -> tuple[float, float]:
    """Widen the ends that are not forced out to the next tick."""
    if not fixed[0]:
        low = origin + math.floor((low - origin) / step + 1e-9) * step
    if not fixed[1]:
        high = origin + math.ceil((high - origin) / step - 1e-9) * step
    return low, high


def _ticks(low: float, high: float, step: float, origin: float) -> list[float]:
    first = math.ceil((low - origin) / step - 1e-9)
    last = math.floor((high - origin) / step + 1e-9)
    return [origin + k * step for k in range(first, last + 1)]


def _is_multiple(length: float, step: float) -> bool:
    ratio = length / step
    return abs(ratio - round(ratio)) < 1e-9


def _bands(bands: Sequence[Band], scale: _Scale) -> list[str]:
    parts = []
    layout = scale.layout
    for band in bands:
        low = scale.low if band.low is None else band.low
        high = scale.high if band.high is None else band.high
        low, high = max(min(low, high), scale.low), min(max(low, high), scale.high)
        if low > high:
            continue
        top, bottom = scale.y(high), scale.y(low)
        label = f"<title>{escape(band.label)}</title>" if band.label else ""
        parts.append(
            f'<rect class="chart-band" x="{layout.left:.1f}" y="{top:.1f}" '
            f'width="{layout.right - layout.left:.1f}" height="{bottom - top:.1f}">{label}</rect>'
        )
    return parts


def _y_ticks(ticks: list[float], scale: _Scale) -> list[str]:
    layout = scale.layout
    decimals = max((_decimals(tick) for tick in ticks), default=0)
    separator = get_format("DECIMAL_SEPARATOR")
    parts = []
    for tick in ticks:
        y = scale.y(tick)
        parts.append(
            f'<line class="chart-grid" x1="{layout.left:.1f}" y1="{y:.1f}" '
            f'x2="{layout.right:.1f}" y2="{y:.1f}"/>'
        )
        label = _number(tick, decimals, separator, trim=False)
        parts.append(_text(layout.left - 6, y, label, "chart-axis", "end"))
    return parts


def _decimals(value: float) -> int:
    return next((d for d in range(7) if abs(round(value, d) - value) < 1e-9), 6)


def _x_axis(
    start: datetime.datetime,
    end: datetime.datetime,
    zone: zoneinfo.ZoneInfo | None,
    layout: _Layout,
) -> list[str]:
    baseline = (
        f'<line class="chart-axis-line" x1="{layout.left:.1f}" y1="{layout.bottom:.1f}" '
        f'x2="{layout.right:.1f}" y2="{layout.bottom:.1f}"/>'
    )
    fmt = "j M Y" if end - start > LONG_WINDOW else "j M"
    y = layout.bottom + (12 if layout.compact else 16)
    labels = [(start, layout.left, "start"), (end, layout.right, "end")]
    if not layout.compact:
        labels.insert(1, (start + (end - start) / 2, layout.middle_x, "middle"))
    parts = [baseline]
    for at, x, anchor in labels:
        text = date_format(timezone.localtime(at, zone), fmt)
        parts.append(_text(x, y, text, "chart-axis chart-date", anchor))
    return parts


def _day(at: datetime.datetime, zone: zoneinfo.ZoneInfo | None) -> str:
    return date_format(timezone.localtime(at, zone), "j M")


def _markers(markers: Sequence[Marker], scale: _Scale) -> list[str]:
    layout = scale.layout
    parts = []
    for number, marker in enumerate(markers, start=1):
        x = scale.x(marker.at)
        parts.append(
            f'<line class="chart-marker" x1="{x:.1f}" y1="{layout.top:.1f}" x2="{x:.1f}" '
            f'y2="{layout.bottom:.1f}"><title>{escape(marker.label)}</title></line>'
        )
        parts.append(_text(x + 3, layout.top + 10, str(number), "chart-marker-label", "start"))
    return parts


def _series(
    item: Series,
    points: list[tuple[datetime.datetime, float]],
    scale: _Scale,
    flagged: Flagged | None,
    tooltip: _Tooltip,
) -> tuple[str, list[str], list[str]]:
    """The series' polyline, its plain markers and its flagged markers."""
    css = escape(item.css_class)
    coords = [(scale.x(at), scale.y(value)) for at, value in points]
    pairs = " ".join(f"{x:.1f},{y:.1f}" for x, y in coords)
    line = (
        f'<polyline class="chart-line {css}" points="{pairs}" fill="none">'
        f"<title>{escape(item.label)}</title></polyline>"
    )
    layout = scale.layout
    marked = len(points) == 1 or (not layout.compact and len(points) <= MAX_MARKED_POINTS)
    plain: list[str] = []
    alarming: list[str] = []
    for (at, value), (x, y) in zip(points, coords, strict=True):
        if flagged is not None and flagged(item, at, value):
            classes, radius, group = f"chart-flagged {css}", layout.flagged_radius, alarming
        elif marked:
            classes, radius, group = css, layout.point_radius, plain
        else:
            continue
        tip = tooltip(item.label, at, value)
        group.append(
            f'<circle class="chart-point {classes}" cx="{x:.1f}" cy="{y:.1f}" r="{radius}">'
            f"<title>{escape(tip)}</title></circle>"
        )
    return line, plain, alarming


def _tooltips(zone: zoneinfo.ZoneInfo | None, unit: str) -> _Tooltip:
    """A formatter for point titles such as "Systolic 150 mmHg — 3 Nov 14:05".

    Month names, the pattern and the separator are looked up once per chart:
    ``date_format`` for each point would dominate the time of large charts.
    """
    pattern = gettext("%(label)s %(value)s — %(when)s")
    months = {month: date_format(datetime.date(2000, month, 1), "M") for month in range(1, 13)}
    separator = get_format("DECIMAL_SEPARATOR")
    tz = zone or timezone.get_current_timezone()
    suffix = f" {unit}" if unit else ""

    def tooltip(label: str, at: datetime.datetime, value: float) -> str:
        local = at.astimezone(tz)
        when = f"{local.day} {months[local.month]} {local:%H:%M}"
        shown = _number(value, 1, separator) + suffix
        return pattern % {"label": label, "value": shown, "when": when}

    return tooltip


def _number(value: float, decimals: int, separator: str, *, trim: bool = True) -> str:
    """``value`` with ``decimals`` decimals, trailing zeros dropped if ``trim``."""
    text = f"{round(value, decimals) + 0.0:.{decimals}f}"
    if trim and "." in text:
        text = text.rstrip("0").rstrip(".")
    return text.replace(".", separator)


def _text(x: float, y: float, text: str, css: str, anchor: str) -> str:
    return (
        f'<text class="{css}" x="{x:.1f}" y="{y:.1f}" dy="0.32em" '
        f'text-anchor="{anchor}">{escape(text)}</text>'
    )
