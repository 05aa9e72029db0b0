"""The figures' cells (patients/templatetags/patient_cells.py) as a clinician reads them:
the change against baseline with its sign and marker, adherence from day one, last
activity, open alerts."""

import datetime

import pytest
from django.template.defaultfilters import floatformat
from django.urls import get_script_prefix, reverse, set_script_prefix
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join, strip_tags
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy

from patients.clinical import pain_change
from patients.html import date_text, html_format, html_join, link
from patients.models import Alert, Assignment
from patients.services.dashboard import DashboardRow
from patients.templatetags import patient_cells

TODAY = datetime.date(2025, 3, 5)


def row(**fields) -> DashboardRow:
    values = {
        "patient": None,
        "program": None,
        "other_programs": 0,
        "sessions_logged": 0,
        "sessions_prescribed": 0,
        "last_pain_score": None,
        "last_pain_at": None,
        "pain_average": None,
        "last_activity_on": None,
        "open_alerts": 0,
        "top_severity": None,
        "today": TODAY,
    }
    return DashboardRow(**{**values, **fields})


def text(html: str) -> str:
    return " ".join(strip_tags(html).split())


@pytest.mark.parametrize(
    ("baseline", "current", "shown", "marker"),
    [
        (6.0, 3.0, "▼ −3.0 (−50%) better baseline 6.0", "better"),
        (3.0, 6.0, "▲ +3.0 (+100%) worse baseline 3.0", "worse"),
        (5.0, 5.5, "+0.5 (+10%) baseline 5.0", None),
        (5.0, 5.0, "0.0 (0%) baseline 5.0", None),
        (0.0, 2.0, "▲ +2.0 worse baseline 0.0", "worse"),  # no percent of a zero baseline
    ],
)
def test_the_change_against_baseline_reads_with_its_sign_and_marker(
    baseline, current, shown, marker
):
    html = patient_cells.pain_change_cell(pain_change(baseline=baseline, current=current), baseline)

    assert text(html) == shown
    if marker:
        assert f'data-important="{marker}"' in html
    else:
        assert "data-important" not in html


def test_without_a_change_the_cell_says_why():
    assert text(patient_cells.pain_change_cell(None, 4.25)) == (
        "baseline 4.3; no pain logged in 7 days"
    )
    assert text(patient_cells.pain_change_cell(None, None)) == (
        "no baseline yet (3 pain logs needed)"
    )


def test_adherence_is_honest_from_day_one():
    program = Assignment(starts_on=TODAY, status=Assignment.Status.ACTIVE)
    assert text(patient_cells.adherence_cell(row(program=program, done_today=2))) == (
        "started today (2 sessions done)"
    )
    later = Assignment(starts_on=TODAY + datetime.timedelta(days=3))
    assert text(patient_cells.adherence_cell(row(program=later))) == "starts 8 Mar 2025"
    week = row(
        program=Assignment(starts_on=TODAY - datetime.timedelta(days=30)),
        sessions_logged=10,
        sessions_prescribed=14,
    )
    assert text(patient_cells.adherence_cell(week)) == "71% (10 of 14)"
    assert text(patient_cells.adherence_cell(week, long=True)) == "71% (10 of 14 sessions)"
    assert text(patient_cells.adherence_cell(row())) == "nothing prescribed"


@pytest.mark.parametrize(
    ("days", "shown", "warned"),
    [(None, "nothing logged yet", True), (0, "today", False), (1, "yesterday", False),
     (2, "2 days ago", False), (3, "3 days ago", True)],
)  # fmt: skip
def test_last_activity_warns_from_three_days(days, shown, warned):
    last = None if days is None else TODAY - datetime.timedelta(days=days)
    html = patient_cells.last_activity_cell(row(last_activity_on=last))

    assert text(html) == shown
    assert ("text-warning-emphasis" in html) is warned


def test_open_alerts_show_the_highest_severity_and_each_kind():
    alerts = row(
        open_alerts=3,
        top_severity=Alert.Severity.URGENT,
        alert_kinds=[("red_flag", "Red flag"), ("pain_rising", "Pain rising")],
    )

    html = patient_cells.alert_summary_cell(alerts)

    assert "text-bg-danger" in html
    assert text(html) == "Urgent 3 open alerts Red flagPain rising"  # one item each
    assert html.count("<li") == 2
    assert text(patient_cells.alert_summary_cell(row())) == "none"


# --- What the cells work out once (links, dates, decimals, escaping) ----------------------


@pytest.mark.parametrize(
    "value",
    [
        '<script>alert("x")</script>',
        "O'Brien & Sons",
        SafeString("<b>kept</b>"),
        gettext_lazy("today"),
        42,
        None,
    ],
)
def test_escaping_is_django_s(value):
    """A name or a message a clinician typed is escaped exactly as format_html does."""
    assert html_format("<p>{}</p>", value) == format_html("<p>{}</p>", value)
    rows = [(value, 1), ("<i>", value)]
    assert html_join("<br>", "<a>{}</a>{}", rows) == format_html_join("<br>", "<a>{}</a>{}", rows)
    assert isinstance(html_join("", "{}", rows), SafeString)


@pytest.mark.parametrize(
    "name",
    ["patients:patient_detail", "patients:assignment_detail", "patients:assignment_item_edit"],
)
def test_links_are_the_urls_of_each_row(name):
    for pk in (1, 7, 12345):
        assert link(name, pk) == reverse(name, kwargs={"pk": pk})


def test_links_follow_the_script_prefix():
    """Served under a sub-path, the links keep it (the resolved link is kept per prefix)."""
    link("patients:patient_detail", 3)  # resolved without the prefix first
    previous = get_script_prefix()
    set_script_prefix("/trigger/")
    try:
        assert link("patients:patient_detail", 3) == "/trigger/clinic/patients/3/"
    finally:
        set_script_prefix(previous)
    assert link("patients:patient_detail", 3) == "/clinic/patients/3/"


def test_dates_and_decimals_are_django_s():
    day = datetime.date(2025, 3, 5)
    assert date_text(day) == date_format(day, "DATE_FORMAT")
    assert date_text(day, "MONTH_DAY_FORMAT") == date_format(day, "MONTH_DAY_FORMAT")
    # A moment is written in the active zone, and the same moment again in another.
    moment = datetime.datetime(2025, 3, 5, 3, 30, tzinfo=datetime.UTC)
    for zone in ("America/New_York", "Asia/Tokyo", "America/New_York"):
        with timezone.override(zone):
            assert date_text(moment, "DATETIME_FORMAT") == date_format(
                timezone.localtime(moment), "DATETIME_FORMAT"
            )
    for value in (2.25, 2.35, 4.0, 1 / 3, 10):
        assert patient_cells._decimal(value) == floatformat(value, 1)
