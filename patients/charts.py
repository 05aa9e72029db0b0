"""The patient's history chart: pain scores as a line, sessions done as bars beneath it.

Pure: points and counts in, coordinates and escaped SVG markup out (no database, no
JavaScript). The x axis is one slot per day from ``start`` to ``end``; a pain score sits
in its day's slot at its local time, so several scores a day stay in order. Scores are
0–10 on the y axis, with the scale's anchors written beside 0 and 10.
"""

from __future__ import annotations

import dataclasses
import datetime
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from django.utils.dateformat import format as date_format
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from .html import html_format, html_join

# The drawing's own units (viewBox); the SVG scales to the width of the screen.
WIDTH = 360
HEIGHT = 246
LEFT = 26
RIGHT = 8
PAIN_TOP = 16
PAIN_BOTTOM = 166
BARS_TOP = 178
BARS_BOTTOM = 214
LABELS_Y = 232
PLOT_WIDTH = WIDTH - LEFT - RIGHT

LINE_COLOUR = "#0a58ca"
BAR_COLOUR = "#198754"
GRID_COLOUR = "#ced4da"
TEXT_COLOUR = "#495057"


@dataclass(frozen=True)
class Bar:
    day: datetime.date
    count: int
    x: float
    y: float
    width: float
    height: float


@dataclass(frozen=True)
class Chart:
    start: datetime.date
    end: datetime.date
    points: list[tuple[float, float, int]]
    path: str
    bars: list[Bar]
    summary: str
    sessions_summary: str
    svg: SafeString

    @property
    def label(self) -> str:
        return f"{self.summary}. {self.sessions_summary}."


def _n(value: float) -> str:
    """A coordinate as short, stable text: 12.0 → "12", 12.345 → "12.3"."""
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


def day_count(start: datetime.date, end: datetime.date) -> int:
    return max((end - start).days + 1, 1)


def x_position(
    when: datetime.datetime | datetime.date, *, start: datetime.date, days: int
) -> float:
    """Left edge + (days since ``start`` + fraction of the day) × the width of a day.
    A date (no time) sits in the middle of its day."""
    slot = PLOT_WIDTH / days
    if isinstance(when, datetime.datetime):
        seconds = when.hour * 3600 + when.minute * 60 + when.second
        offset = (when.date() - start).days + seconds / 86400
    else:
        offset = (when - start).days + 0.5
    return LEFT + offset * slot


def y_position(score: int) -> float:
    """0 at the bottom of the pain area, 10 at its top."""
    return PAIN_BOTTOM - score * (PAIN_BOTTOM - PAIN_TOP) / 10


def line_path(coordinates: Sequence[tuple[float, float]]) -> str:
    """An SVG path through the points in order: "M x,y L x,y ..." ("" for no points)."""
    return " ".join(
        f"{'M' if i == 0 else 'L'}{_n(x)},{_n(y)}" for i, (x, y) in enumerate(coordinates)
    )


def _day_label(day: datetime.date) -> str:
    return date_format(day, "j M")


def pain_summary(
    pain: Sequence[tuple[datetime.datetime, int]], *, start: datetime.date, end: datetime.date
) -> str:
    if not pain:
        return _("No pain logged yet")
    if len(pain) == 1:
        when, score = pain[0]
        return _("Pain %(score)d on %(day)s") % {"score": score, "day": _day_label(when.date())}
    days = day_count(start, end)
    return ngettext(
        "Pain from %(first)d to %(last)d over %(days)d day",
        "Pain from %(first)d to %(last)d over %(days)d days",
        days,
    ) % {"first": pain[0][1], "last": pain[-1][1], "days": days}


def sessions_summary(sessions: Mapping[datetime.date, int]) -> str:
    total = sum(sessions.values())
    return ngettext(
        "%(count)d exercise session done", "%(count)d exercise sessions done", total
    ) % {"count": total}


def pain_chart(
    *,
    start: datetime.date,
    end: datetime.date,
    pain: Sequence[tuple[datetime.datetime, int]],
    sessions: Mapping[datetime.date, int],
) -> Chart:
    """The chart for pain scores (local datetime, score) and sessions done per day between
    ``start`` and ``end`` (inclusive). Scores outside that span are left out."""
    days = day_count(start, end)
    pain = sorted(
        ((when, score) for when, score in pain if start <= when.date() <= end),
        key=lambda p: p[0],
    )
    sessions = {d: n for d, n in sessions.items() if start <= d <= end and n > 0}

    points = [(x_position(w, start=start, days=days), y_position(s), s) for w, s in pain]
    path = line_path([(x, y) for x, y, _s in points])

    slot = PLOT_WIDTH / days
    bar_width = max(slot * 0.6, 1.0)
    most = max(sessions.values(), default=0)
    bars = []
    for day, count in sorted(sessions.items()):
        height = (BARS_BOTTOM - BARS_TOP) * count / most
        bars.append(
            Bar(
                day=day,
                count=count,
                x=x_position(day, start=start, days=days) - bar_width / 2,
                y=BARS_BOTTOM - height,
                width=bar_width,
                height=height,
            )
        )

    summary = pain_summary(pain, start=start, end=end)
    done = sessions_summary(sessions)
    chart = Chart(
        start=start,
        end=end,
        points=points,
        path=path,
        bars=bars,
        summary=summary,
        sessions_summary=done,
        svg=SafeString(""),
    )
    return dataclasses.replace(chart, svg=_svg(chart))


def _svg(chart: Chart) -> SafeString:
    grid = html_join(
        "",
        '<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="{}" stroke-width="1"/>'
        '<text x="{}" y="{}" text-anchor="end" font-size="11" fill="{}">{}</text>',
        (
            (
                LEFT,
                _n(y_position(score)),
                WIDTH - RIGHT,
                _n(y_position(score)),
                GRID_COLOUR,
                LEFT - 4,
                _n(y_position(score) + 4),
                TEXT_COLOUR,
                score,
            )
            for score in (0, 5, 10)
        ),
    )
    anchors = html_format(
        '<text x="{}" y="{}" font-size="10" fill="{}">{}</text>'
        '<text x="{}" y="{}" font-size="10" fill="{}">{}</text>',
        LEFT + 4,
        _n(y_position(10) - 4),
        TEXT_COLOUR,
        _("10 = worst imaginable"),
        LEFT + 4,
        _n(y_position(0) - 4),
        TEXT_COLOUR,
        _("0 = no pain"),
    )
    # The bars and dots are most of the drawing (a bar and a dot a day) and hold only
    # numbers this module wrote (``_n``) and its own colours: nothing to escape.
    bars = SafeString(
        "".join(
            f'<rect x="{_n(b.x)}" y="{_n(b.y)}" width="{_n(b.width)}" height="{_n(b.height)}"'
            f' fill="{BAR_COLOUR}"/>'
            for b in chart.bars
        )
    )
    bars_base = html_format(
        '<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="{}" stroke-width="1"/>',
        LEFT,
        BARS_BOTTOM,
        WIDTH - RIGHT,
        BARS_BOTTOM,
        GRID_COLOUR,
    )
    if chart.points:
        line = html_format(
            '<path d="{}" fill="none" stroke="{}" stroke-width="2" stroke-linejoin="round"/>',
            chart.path,
            LINE_COLOUR,
        )
        dots = SafeString(
            "".join(
                f'<circle cx="{_n(x)}" cy="{_n(y)}" r="3" fill="{LINE_COLOUR}"/>'
                for x, y, _s in chart.points
            )
        )
        empty = ""
    else:
        line = dots = ""
        empty = html_format(
            '<text x="{}" y="{}" text-anchor="middle" font-size="13" fill="{}">{}</text>',
            _n(LEFT + PLOT_WIDTH / 2),
            _n(y_position(7.5) + 4),
            TEXT_COLOUR,
            chart.summary,
        )
    dates = [(LEFT, "start", chart.start)]
    if chart.end != chart.start:
        dates.append((WIDTH - RIGHT, "end", chart.end))
    if day_count(chart.start, chart.end) > 2:
        days = day_count(chart.start, chart.end)
        middle = chart.start + datetime.timedelta(days=days // 2)
        dates.append((_n(x_position(middle, start=chart.start, days=days)), "middle", middle))
    date_labels = html_join(
        "",
        '<text x="{}" y="{}" text-anchor="{}" font-size="11" fill="{}">{}</text>',
        ((x, LABELS_Y, anchor, TEXT_COLOUR, _day_label(d)) for x, anchor, d in dates),
    )
    description = _(
        "%(summary)s. %(sessions)s. Pain scores run from 0 = no pain to 10 = worst "
        "imaginable; the bars show the exercise sessions done each day."
    ) % {"summary": chart.summary, "sessions": chart.sessions_summary}
    return html_format(
        '<svg class="pain-chart" viewBox="0 0 {} {}" width="100%" role="img" '
        'aria-label="{}" aria-describedby="pain-chart-desc" xmlns="http://www.w3.org/2000/svg">'
        '<title id="pain-chart-title">{}</title><desc id="pain-chart-desc">{}</desc>'
        "{}{}{}{}{}{}{}{}</svg>",
        WIDTH,
        HEIGHT,
        chart.label,
        chart.label,
        description,
        grid,
        anchors,
        bars_base,
        bars,
        line,
        dots,
        empty,
        date_labels,
    )
