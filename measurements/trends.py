"""A type's trend in the user's units: the chart (inline SVG, see ``charts``), the
target band and the min/avg/max summary. Also used by exports."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.utils.formats import date_format
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from measurements import charts
from measurements.kinds import Kind, Type, Unit
from measurements.models import MeasurementThreshold
from measurements.selectors import Point


def _shown(unit: Unit, value: Decimal) -> float:
    return float(unit.show(value))


def _bands(threshold: MeasurementThreshold | None, kind: Kind, unit: Unit) -> list[charts.Band]:
    if threshold is None or not threshold.is_active:
        return []
    pairs = [(threshold.min_value, threshold.max_value, kind.value_name or kind.label)]
    if kind.has_secondary:
        pairs.append((threshold.min_secondary, threshold.max_secondary, kind.secondary_name))
    return [
        charts.Band(
            None if low is None else _shown(unit, low),
            None if high is None else _shown(unit, high),
            _("Target for %(what)s: %(range)s")
            % {"what": str(label).lower(), "range": _range_text(low, high, unit)},
        )
        for low, high, label in pairs
        if low is not None or high is not None
    ]


def _range_text(low: Decimal | None, high: Decimal | None, unit: Unit) -> str:
    if low is not None and high is not None:
        return f"{unit.show(low)}–{unit.format(high)}"
    if low is not None:
        return _("at least %(value)s") % {"value": unit.format(low)}
    assert high is not None
    return _("at most %(value)s") % {"value": unit.format(high)}


def describe_target(threshold: MeasurementThreshold | None, kind: Kind, unit: Unit) -> str:
    """ "90–140 mmHg (systolic), 60–90 mmHg (diastolic)"; empty when none is set."""
    if threshold is None or not threshold.is_active:
        return ""
    parts = []
    for low, high, label in (
        (threshold.min_value, threshold.max_value, kind.value_name),
        (threshold.min_secondary, threshold.max_secondary, kind.secondary_name),
    ):
        if low is not None or high is not None:
            text = _range_text(low, high, unit)
            parts.append(f"{text} ({label})" if kind.has_secondary else text)
    return ", ".join(parts)


def chart(
    *,
    kind: Kind,
    unit: Unit,
    points: Sequence[Point],
    threshold: MeasurementThreshold | None,
    since: dt.datetime,
    until: dt.datetime,
    zone: ZoneInfo,
    title: str,
    symbol: str,
    width: int = 440,
    height: int = 240,
    markers: Sequence[charts.Marker] = (),
) -> SafeString:
    """The trend chart; blood pressure draws both lines; flagged readings stand out;
    ``markers`` point at moments (medication changes on the analytics page)."""
    main = charts.Series(
        str(kind.value_name).capitalize() if kind.has_secondary else title,
        [(p.at, _shown(unit, p.value)) for p in points],
        "series-0",
    )
    series = [main]
    if kind.has_secondary:
        series.append(
            charts.Series(
                str(kind.secondary_name).capitalize(),
                [(p.at, _shown(unit, p.secondary)) for p in points if p.secondary is not None],
                "series-1",
            )
        )
    # Blood pressure: a dot is red on the line whose number is outside its range.
    days = (until - since).days
    flagged = {
        "series-0": {
            p.at
            for p in points
            if p.flagged
            and (
                threshold is None
                or threshold.outside(p.value, threshold.min_value, threshold.max_value)
            )
        },
        "series-1": {
            p.at
            for p in points
            if p.flagged
            and p.secondary is not None
            and threshold is not None
            and threshold.outside(p.secondary, threshold.min_secondary, threshold.max_secondary)
        },
    }
    stats = summary(points, unit, symbol=symbol)
    description = (
        ngettext(
            "%(count)s reading from %(start)s to %(end)s; lowest %(low)s, highest %(high)s.",
            "%(count)s readings from %(start)s to %(end)s; lowest %(low)s, highest %(high)s.",
            stats.count,
        )
        % {
            "count": stats.count,
            "start": date_format(since.astimezone(zone).date(), _("j F Y")),
            "end": date_format(until.astimezone(zone).date(), _("j F Y")),
            "low": stats.low,
            "high": stats.high,
        }
        if stats
        else _("No readings in this period.")
    )
    y_range: dict[str, float] = {}
    if kind.type == Type.PAIN:
        y_range = {"y_min": 0, "y_max": 10}
    elif kind.type == Type.OXYGEN_SATURATION:
        y_range = {"y_max": 100}
    return charts.line_chart(
        series=series,
        start=since,
        end=until,
        title=ngettext("%(what)s, last %(days)s day", "%(what)s, last %(days)s days", days)
        % {"what": title, "days": days},
        description=description,
        bands=_bands(threshold, kind, unit),
        flagged=lambda series, at, _value: at in flagged[series.css_class],
        zone=zone,
        width=width,
        height=height,
        unit=symbol,
        markers=markers,
        **y_range,  # type: ignore[arg-type]
    )


@dataclass
class Summary:
    latest: str
    low: str
    mean: str
    high: str
    count: int


def summary(points: Sequence[Point], unit: Unit, *, symbol: str) -> Summary | None:
    """Latest, lowest, average and highest in the window, as shown to the user
    (blood pressure: "systolic/diastolic", each its own minimum and maximum)."""
    if not points:
        return None

    def text(value: Decimal, secondary: Decimal | None) -> str:
        if secondary is None:
            return unit.format(value, symbol)
        return f"{unit.show(value)}/{unit.format(secondary, symbol)}"

    def mean(values: list[Decimal]) -> Decimal:
        return sum(values, Decimal(0)) / len(values)

    values = [p.value for p in points]
    seconds = [p.secondary for p in points if p.secondary is not None]
    last = points[-1]
    if seconds:
        return Summary(
            text(last.value, last.secondary),
            text(min(values), min(seconds)),
            text(mean(values), mean(seconds)),
            text(max(values), max(seconds)),
            len(points),
        )
    return Summary(
        text(last.value, None),
        text(min(values), None),
        text(mean(values), None),
        text(max(values), None),
        len(points),
    )
