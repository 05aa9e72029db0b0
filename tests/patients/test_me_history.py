"""The patient's history (/me/history/): pain over time as an SVG chart, with the sessions
done, and the same data as a table."""

import datetime
import re

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from patients.models import AssignmentItem, ExerciseLog, PainLog
from tests.factories import AssignmentFactory, PatientFactory

pytestmark = pytest.mark.django_db

# Wednesday 5 March 2025, noon UTC.
NOW = datetime.datetime(2025, 3, 5, 12, 0, tzinfo=datetime.UTC)
TODAY = datetime.date(2025, 3, 5)
URL = reverse("patients:history")


@pytest.fixture(autouse=True)
def frozen_time():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def record(clinician, patient_user):
    return PatientFactory(user=patient_user, clinician=clinician, time_zone="Europe/London")


@pytest.fixture
def item(record):
    assignment = AssignmentFactory(patient=record, starts_on=datetime.date(2024, 1, 1))
    return AssignmentItem.objects.create(
        assignment=assignment, name="Wall stretch", instructions="Lean.", times_per_day=3
    )


@pytest.fixture
def signed_in(client, patient_user, record):
    client.force_login(patient_user)
    return client


def pain(patient, days_ago: float, score: int) -> PainLog:
    return PainLog.objects.create(
        patient=patient, score=score, recorded_for=NOW - datetime.timedelta(days=days_ago)
    )


def done(item, day: datetime.date, session: int = 1) -> ExerciseLog:
    return ExerciseLog.objects.create(
        patient=item.assignment.patient,
        assignment=item.assignment,
        item=item,
        performed_on=day,
        session=session,
        status="done",
    )


def table_rows(html: str) -> list[tuple[str, str, str]]:
    """(date, pain scores, sessions done) for each row of the history table ("" for no
    pain score that day)."""
    table = html.split('id="history-table"', 1)[1]
    body = table.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    rows = []
    for row in re.findall(r"<tr>(.*?)</tr>", body, re.S):
        cells = [
            re.sub(r"<[^>]+>", "", c).strip()
            for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)
        ]
        if len(cells) == 3:
            date, scores, sessions = cells
            rows.append((date, "" if scores == "–none" else scores, sessions))
    return rows


# --- who may see it -------------------------------------------------------------------------


def test_anonymous_visitors_are_sent_to_sign_in(client):
    response = client.get(URL)

    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_a_clinician_is_refused(client, clinician):
    client.force_login(clinician)

    assert client.get(URL).status_code == 403


def test_only_the_patients_own_logs_are_shown(signed_in, record, clinician, other_patient_user):
    other = PatientFactory(user=other_patient_user, clinician=clinician)
    pain(other, 1, 9)
    pain(record, 1, 2)

    response = signed_in.get(URL)

    assert [row[1] for row in table_rows(response.text)] == ["2"]
    assert response.context["chart"].summary == "Pain 2 on 4 Mar"


# --- periods --------------------------------------------------------------------------------


@pytest.fixture
def spread(record, item):
    """Pain 9 at 100 days ago, 8 at 40, 6 then 3 within the last 30; sessions likewise."""
    pain(record, 100, 9)
    pain(record, 40, 8)
    pain(record, 10, 6)
    pain(record, 0.1, 3)
    done(item, TODAY - datetime.timedelta(days=100))
    done(item, TODAY - datetime.timedelta(days=40))
    done(item, TODAY, 1)
    done(item, TODAY, 2)


@pytest.mark.parametrize(
    ("query", "period", "scores", "sessions"),
    [
        ("", "30", ["3", "6"], 2),
        ("?period=30", "30", ["3", "6"], 2),
        ("?period=90", "90", ["3", "6", "8"], 3),
        ("?period=all", "all", ["3", "6", "8", "9"], 4),
    ],
)
def test_each_period_shows_its_own_days(signed_in, spread, query, period, scores, sessions):
    response = signed_in.get(URL + query)

    assert response.status_code == 200
    assert response.context["period"] == period
    rows = table_rows(response.text)
    assert [pain_cell for _d, pain_cell, _s in rows if pain_cell] == scores
    assert sum(int(s) for _d, _p, s in rows) == sessions
    assert f'href="?period={period}" aria-current="page"' in response.text


@pytest.mark.parametrize(
    "query", ["?period=7", "?period=", "?period=%3Cscript%3E", "?period=all&period=x"]
)
def test_a_bad_period_falls_back_to_30_days(signed_in, spread, query):
    response = signed_in.get(URL + query)

    assert response.status_code == 200
    assert response.context["period"] == "30"
    assert "<script>" not in response.text
    assert response.context["chart"].start == TODAY - datetime.timedelta(days=29)


# --- chart and table ------------------------------------------------------------------------


def test_the_chart_is_an_svg_image_with_a_text_summary(signed_in, spread):
    response = signed_in.get(URL)

    svg = re.search(r"<svg.*?</svg>", response.text, re.S).group(0)
    assert 'role="img"' in svg
    assert 'aria-label="Pain from 6 to 3 over 30 days. 2 exercise sessions done."' in svg
    assert "<title" in svg and "<desc" in svg
    assert "0 = no pain" in svg and "10 = worst imaginable" in svg
    assert svg.count("<circle") == 2
    assert "Pain from 6 to 3 over 30 days. 2 exercise sessions done." in response.text


def test_the_table_lists_the_same_data_as_the_chart(signed_in, record, item):
    pain(record, 2.2, 7)
    pain(record, 2.1, 5)
    pain(record, 0.2, 4)
    done(item, TODAY - datetime.timedelta(days=2))
    done(item, TODAY - datetime.timedelta(days=5), 1)
    done(item, TODAY - datetime.timedelta(days=5), 2)

    response = signed_in.get(URL)

    chart = response.context["chart"]
    rows = table_rows(response.text)
    assert rows == [
        ("Wed 5 Mar 2025", "4", "0"),
        ("Mon 3 Mar 2025", "7, 5", "1"),
        ("Fri 28 Feb 2025", "", "2"),
    ]
    chart_scores = [score for _x, _y, score in chart.points]
    table_scores = [int(s) for _d, cell, _s in reversed(rows) if cell for s in cell.split(", ")]
    assert chart_scores == table_scores == [7, 5, 4]
    assert {bar.day: bar.count for bar in chart.bars} == {
        TODAY - datetime.timedelta(days=2): 1,
        TODAY - datetime.timedelta(days=5): 2,
    }


def test_with_nothing_logged_it_says_so(signed_in):
    response = signed_in.get(URL)

    assert "No pain logged yet" in response.text
    assert "Nothing logged in this period yet." in response.text
    assert 'role="img"' in response.text


def test_pain_is_dated_in_the_patients_time_zone(signed_in, record):
    # 11:30 UTC on Wednesday is 00:30 on Thursday in Auckland.
    record.time_zone = "Pacific/Auckland"
    record.save()
    PainLog.objects.create(
        patient=record,
        score=5,
        recorded_for=datetime.datetime(2025, 3, 5, 11, 30, tzinfo=datetime.UTC),
    )

    response = signed_in.get(URL)

    assert table_rows(response.text) == [("Thu 6 Mar 2025", "5", "0")]


# --- a constant number of queries -----------------------------------------------------------


def test_history_runs_the_same_queries_for_one_log_as_for_many(
    signed_in, record, item, django_assert_num_queries
):
    pain(record, 1, 4)
    signed_in.get(URL)  # the first request after signing in also saves the session
    with CaptureQueriesContext(connection) as few:
        signed_in.get(URL + "?period=all")

    for days_ago in range(120):
        pain(record, days_ago + 0.3, days_ago % 11)
        pain(record, days_ago + 0.6, (days_ago + 3) % 11)
        done(item, TODAY - datetime.timedelta(days=days_ago))

    for period in ("30", "90", "all"):
        with django_assert_num_queries(len(few)):
            response = signed_in.get(f"{URL}?period={period}")
        assert response.status_code == 200
