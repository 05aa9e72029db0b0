"""The history chart's geometry and markup (patients/charts.py): pure, no database."""

import datetime
import re
import zoneinfo

from patients import charts

START = datetime.date(2025, 3, 1)
END = datetime.date(2025, 3, 30)  # 30 days
# Points come in the patient's local time.
ZONE = zoneinfo.ZoneInfo("Pacific/Auckland")


def at(day: int, hour: int = 12, minute: int = 0) -> datetime.datetime:
    return datetime.datetime(2025, 3, day, hour, minute, tzinfo=ZONE)


def test_scores_map_from_the_bottom_0_to_the_top_10():
    assert charts.y_position(0) == charts.PAIN_BOTTOM
    assert charts.y_position(10) == charts.PAIN_TOP
    assert charts.y_position(5) == (charts.PAIN_BOTTOM + charts.PAIN_TOP) / 2


def test_a_moment_sits_in_its_days_slot_at_its_time():
    slot = charts.PLOT_WIDTH / 30

    assert charts.x_position(at(1, 0), start=START, days=30) == charts.LEFT
    assert charts.x_position(at(1, 12), start=START, days=30) == charts.LEFT + slot / 2
    assert charts.x_position(at(30, 18), start=START, days=30) == charts.LEFT + 29.75 * slot
    # A date without a time sits in the middle of its day.
    assert charts.x_position(START, start=START, days=30) == charts.LEFT + slot / 2


def test_the_path_goes_through_the_points_in_order():
    assert charts.line_path([]) == ""
    assert charts.line_path([(10, 20)]) == "M10,20"
    assert charts.line_path([(10, 20), (30.25, 40), (50.04, 60.96)]) == ("M10,20 L30.2,40 L50,61")


def test_no_points_says_no_pain_logged_yet():
    chart = charts.pain_chart(start=START, end=END, pain=[], sessions={})

    assert chart.points == [] and chart.path == ""
    assert chart.summary == "No pain logged yet"
    assert "No pain logged yet" in chart.svg
    assert "<path" not in chart.svg
    assert 'role="img"' in chart.svg


def test_one_point_is_drawn_as_a_dot_and_summarised_with_its_day():
    chart = charts.pain_chart(start=START, end=END, pain=[(at(5), 4)], sessions={})

    assert len(chart.points) == 1
    x, y, score = chart.points[0]
    assert chart.path == f"M{charts._n(x)},{charts._n(y)}"
    assert score == 4
    assert chart.summary == "Pain 4 on 5 Mar"
    assert chart.svg.count("<circle") == 1


def test_several_points_a_day_stay_in_time_order_within_the_day():
    pain = [(at(3, 20), 2), (at(3, 8), 6), (at(3, 13), 4), (at(10), 3)]

    chart = charts.pain_chart(start=START, end=END, pain=pain, sessions={})

    xs = [x for x, _y, _s in chart.points]
    assert [s for _x, _y, s in chart.points] == [6, 4, 2, 3]
    assert xs == sorted(xs)
    slot = charts.PLOT_WIDTH / 30
    day_3 = charts.LEFT + 2 * slot
    assert all(day_3 <= x < day_3 + slot for x in xs[:3])
    assert chart.path.count("L") == 3
    assert chart.summary == "Pain from 6 to 3 over 30 days"


def test_points_outside_the_period_are_left_out():
    pain = [(datetime.datetime(2025, 2, 28, 23, 0, tzinfo=ZONE), 9), (at(2), 5), (at(31), 1)]

    chart = charts.pain_chart(start=START, end=END, pain=pain, sessions={})

    assert [s for _x, _y, s in chart.points] == [5]


def test_bars_show_sessions_done_relative_to_the_busiest_day():
    sessions = {datetime.date(2025, 3, 2): 1, datetime.date(2025, 3, 4): 4, START: 0}

    chart = charts.pain_chart(start=START, end=END, pain=[], sessions=sessions)

    assert [(b.day, b.count) for b in chart.bars] == [
        (datetime.date(2025, 3, 2), 1),
        (datetime.date(2025, 3, 4), 4),
    ]
    full = charts.BARS_BOTTOM - charts.BARS_TOP
    assert chart.bars[1].height == full
    assert chart.bars[0].height == full / 4
    assert all(b.y + b.height == charts.BARS_BOTTOM for b in chart.bars)
    assert chart.sessions_summary == "5 exercise sessions done"
    assert chart.svg.count("<rect") == 2


def test_the_svg_has_a_text_alternative_and_the_scales_anchors():
    chart = charts.pain_chart(
        start=START, end=END, pain=[(at(1), 6), (at(30), 3)], sessions={START: 2}
    )

    svg = str(chart.svg)
    assert svg.startswith("<svg")
    assert 'role="img"' in svg
    assert 'aria-label="Pain from 6 to 3 over 30 days. 2 exercise sessions done."' in svg
    assert re.search(r"<title[^>]*>Pain from 6 to 3 over 30 days", svg)
    assert "<desc" in svg
    assert "0 = no pain" in svg and "10 = worst imaginable" in svg
    assert "1 Mar" in svg and "30 Mar" in svg


def test_a_one_day_period_still_draws():
    chart = charts.pain_chart(start=END, end=END, pain=[(at(30, 9), 2)], sessions={END: 1})

    assert chart.points[0][0] == charts.LEFT + charts.PLOT_WIDTH * 9 / 24
    assert len(chart.bars) == 1
    assert chart.svg.count(">30 Mar<") == 1
