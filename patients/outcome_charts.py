"""An outcome measure's scores over time: the line of scores, the baseline, the band of
changes smaller than the MCID around it, and a marker on each score whose change from the
baseline reaches the MCID (an upward triangle for better, a downward one for worse, with
the words in the table beside it).

Pure, like patients/charts.py whose helpers it reuses: scores in, escaped SVG out. The x
axis runs from the first answer's day to the last's; the y axis is the instrument's range.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from trigger.models import Instrument

from .charts import GRID_COLOUR, LINE_COLOUR, TEXT_COLOUR, _day_label, _n, line_path
from .html import html_format, html_join
from .services.outcomes import InstrumentSeries, ScorePoint

WIDTH = 360
HEIGHT = 200
LEFT = 30
RIGHT = 14
TOP = 14
BOTTOM = 170
LABELS_Y = 188
PLOT_WIDTH = WIDTH - LEFT - RIGHT

IMPROVED_COLOUR = "#146c43"
WORSE_COLOUR = "#b02a37"
BAND_COLOUR = "#e9ecef"


@dataclass(frozen=True)
class OutcomeChart:
    svg: SafeString
    summary: str


def points(value: Decimal) -> str:
    """A range end or an MCID as people write it: 10, 2, 2.5 (not 10.0)."""
    return f"{value:.1f}".removesuffix(".0")


def _y(score: Decimal, instrument: Instrument) -> float:
    low, high = float(instrument.score_min), float(instrument.score_max)
    value = min(max(float(score), low), high)
    return BOTTOM - (value - low) * (BOTTOM - TOP) / (high - low)


def _x(day: datetime.date, start: datetime.date, end: datetime.date) -> float:
    span = (end - start).days
    if span <= 0:
        return LEFT + PLOT_WIDTH / 2
    return LEFT + (day - start).days * PLOT_WIDTH / span


def change_words(point: ScorePoint, instrument: Instrument) -> str:
    """The change from the baseline in words, for the table beside the chart."""
    if point.change is None:
        return _("Baseline")
    values = {"points": abs(point.change), "mcid": points(instrument.mcid)}
    if point.status == Instrument.Change.IMPROVED:
        return _("Better by %(points)s points: a change that matters") % values
    if point.status == Instrument.Change.WORSE:
        return _("Worse by %(points)s points: a change that matters") % values
    return _("A change of %(points)s points: less than the %(mcid)s that matter") % values


def summary(series: InstrumentSeries) -> str:
    instrument = series.instrument
    latest = series.latest
    if len(series.points) == 1:
        return _("%(name)s: baseline score %(score)s") % {
            "name": instrument.short_name,
            "score": latest.score,
        }
    words = {
        Instrument.Change.IMPROVED: _("better than the baseline by at least %(mcid)s points"),
        Instrument.Change.WORSE: _("worse than the baseline by at least %(mcid)s points"),
    }.get(latest.status, _("within %(mcid)s points of the baseline")) % {
        "mcid": points(instrument.mcid)
    }
    return _("%(name)s: from %(baseline)s at baseline to %(score)s, %(words)s") % {
        "name": instrument.short_name,
        "baseline": series.baseline,
        "score": latest.score,
        "words": words,
    }


def _marker(x: float, y: float, status: str) -> SafeString:
    if status == Instrument.Change.IMPROVED:
        points = f"{_n(x)},{_n(y - 9)} {_n(x - 7)},{_n(y + 4)} {_n(x + 7)},{_n(y + 4)}"
        colour = IMPROVED_COLOUR
    elif status == Instrument.Change.WORSE:
        points = f"{_n(x)},{_n(y + 9)} {_n(x - 7)},{_n(y - 4)} {_n(x + 7)},{_n(y - 4)}"
        colour = WORSE_COLOUR
    else:
        return html_format('<circle cx="{}" cy="{}" r="4" fill="{}"/>', _n(x), _n(y), LINE_COLOUR)
    return html_format('<polygon points="{}" fill="{}" class="mcid-marker"/>', points, colour)


def outcome_chart(series: InstrumentSeries, *, zone) -> OutcomeChart:
    instrument = series.instrument
    days = [p.response.answered_at.astimezone(zone).date() for p in series.points]
    start, end = days[0], days[-1]
    coordinates = [
        (_x(day, start, end), _y(point.score, instrument))
        for day, point in zip(days, series.points, strict=True)
    ]
    baseline_y = _y(series.baseline, instrument)
    band_top = _y(
        series.baseline + instrument.mcid, instrument
    )  # within these lines: smaller than the MCID
    band_bottom = _y(series.baseline - instrument.mcid, instrument)
    grid = html_join(
        "",
        '<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="{}" stroke-width="1"/>'
        '<text x="{}" y="{}" text-anchor="end" font-size="11" fill="{}">{}</text>',
        (
            (
                LEFT,
                _n(_y(value, instrument)),
                WIDTH - RIGHT,
                _n(_y(value, instrument)),
                GRID_COLOUR,
                LEFT - 4,
                _n(_y(value, instrument) + 4),
                TEXT_COLOUR,
                _n(float(value)),
            )
            for value in (instrument.score_min, instrument.score_max)
        ),
    )
    band = html_format(
        '<rect x="{}" y="{}" width="{}" height="{}" fill="{}"/>'
        '<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="{}" stroke-width="1.5" '
        'stroke-dasharray="5 4"/>'
        '<text x="{}" y="{}" font-size="10" fill="{}">{}</text>',
        LEFT,
        _n(band_top),
        PLOT_WIDTH,
        _n(band_bottom - band_top),
        BAND_COLOUR,
        LEFT,
        _n(baseline_y),
        WIDTH - RIGHT,
        _n(baseline_y),
        TEXT_COLOUR,
        LEFT + 4,
        _n(baseline_y - 4),
        TEXT_COLOUR,
        _("Baseline %(score)s") % {"score": series.baseline},
    )
    line = (
        html_format(
            '<path d="{}" fill="none" stroke="{}" stroke-width="2" stroke-linejoin="round"/>',
            line_path(coordinates),
            LINE_COLOUR,
        )
        if len(coordinates) > 1
        else ""
    )
    markers = SafeString(
        "".join(
            _marker(x, y, point.status)
            for (x, y), point in zip(coordinates, series.points, strict=True)
        )
    )
    dates = [(LEFT, "start", start)] + ([(WIDTH - RIGHT, "end", end)] if end != start else [])
    date_labels = html_join(
        "",
        '<text x="{}" y="{}" text-anchor="{}" font-size="11" fill="{}">{}</text>',
        ((x, LABELS_Y, anchor, TEXT_COLOUR, _day_label(d)) for x, anchor, d in dates),
    )
    text = summary(series)
    description = _(
        "%(summary)s. The dashed line is the baseline; the grey band around it holds changes "
        "smaller than %(mcid)s points. An upward triangle marks a score better than the "
        "baseline by at least that much, a downward triangle one worse by at least that much."
    ) % {"summary": text, "mcid": points(instrument.mcid)}
    ident = f"outcome-chart-{instrument.slug}"
    svg = html_format(
        '<svg class="outcome-chart" viewBox="0 0 {} {}" width="100%" role="img" '
        'aria-labelledby="{}-title" aria-describedby="{}-desc" '
        'xmlns="http://www.w3.org/2000/svg">'
        '<title id="{}-title">{}</title><desc id="{}-desc">{}</desc>{}{}{}{}{}</svg>',
        WIDTH,
        HEIGHT,
        ident,
        ident,
        ident,
        text,
        ident,
        description,
        band,
        grid,
        line,
        markers,
        date_labels,
    )
    return OutcomeChart(svg=svg, summary=text)


@dataclass(frozen=True)
class ScoreRow:
    day: datetime.date
    score: Decimal
    change: Decimal | None
    status: str
    words: str


@dataclass(frozen=True)
class OutcomePanel:
    """One instrument on a page: its chart and the same data as table rows."""

    series: InstrumentSeries
    chart: OutcomeChart
    rows: list[ScoreRow]


def outcome_panels(all_series: list[InstrumentSeries], *, zone) -> list[OutcomePanel]:
    return [
        OutcomePanel(
            series=series,
            chart=outcome_chart(series, zone=zone),
            rows=[
                ScoreRow(
                    day=point.response.answered_at.astimezone(zone).date(),
                    score=point.score,
                    change=point.change,
                    status=point.status,
                    words=change_words(point, series.instrument),
                )
                for point in series.points
            ],
        )
        for series in all_series
    ]
