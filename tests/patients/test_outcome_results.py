"""Scores over time: the patient's history and the clinician's story show each
instrument's scores against the baseline, with a marker once the change reaches the MCID
(better or worse), and the same data as a table; the dashboard filters on it."""

import datetime
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from patients.outcome_charts import IMPROVED_COLOUR, WORSE_COLOUR
from patients.services.outcomes import (
    Answer,
    DueQuestionnaire,
    outcome_changes,
    outcome_history,
    outcome_response_record,
)
from tests import factories

UTC = datetime.UTC
pytestmark = pytest.mark.django_db
NOW = datetime.datetime(2027, 4, 10, 12, 0, tzinfo=UTC)
START = datetime.date(2027, 2, 1)


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def record(clinician, patient_user):
    return factories.PatientFactory(user=patient_user, clinician=clinician, time_zone="Asia/Tokyo")


def answered(record, psfs, weeks: int, ratings: list[int], assignment=None):
    assignment = (
        assignment
        or record.assignments.first()
        or factories.AssignmentFactory(patient=record, starts_on=START)
    )
    day = START + datetime.timedelta(weeks=weeks)
    item = psfs.items.get()
    return outcome_response_record(
        patient=record,
        due=DueQuestionnaire(assignment=assignment, instrument=psfs, due_on=day),
        answers=[
            Answer(item=item, value=value, label=label)
            for label, value in zip(["Stairs", "Walking", "Standing"], ratings, strict=True)
        ],
        now=datetime.datetime.combine(day, datetime.time(9, 0), tzinfo=UTC),
    )


def test_the_history_judges_each_score_against_the_first(record, psfs):
    answered(record, psfs, 0, [2, 3, 4])  # 3.0
    answered(record, psfs, 2, [3, 4, 4])  # 3.7: less than 2 points better
    answered(record, psfs, 4, [6, 5, 5])  # 5.3: better by 2.3
    [series] = outcome_history(patient=record)
    assert [p.score for p in series.points] == [Decimal("3.0"), Decimal("3.7"), Decimal("5.3")]
    assert [p.change for p in series.points] == [None, Decimal("0.7"), Decimal("2.3")]
    assert [p.status for p in series.points] == ["", "", "improved"]
    # Per activity the MCID is 3: stairs 2 -> 6 is better, walking 3 -> 5 is not.
    assert [(a.label, a.values, a.change) for a in series.activities] == [
        ("Stairs", [2, 3, 6], "improved"),
        ("Walking", [3, 4, 5], ""),
        ("Standing", [4, 4, 5], ""),
    ]


def test_a_fall_of_two_points_is_marked_worse(record, psfs):
    answered(record, psfs, 0, [6, 6, 6])
    answered(record, psfs, 3, [4, 4, 4])
    [series] = outcome_history(patient=record)
    assert series.latest.status == "worse" and series.latest.change == Decimal("-2.0")
    assert outcome_changes(patient_ids=[record.pk]) == {record.pk: {"worse"}}


def test_the_patient_sees_the_chart_marker_and_table_on_their_history(
    record, psfs, client, patient_user
):
    answered(record, psfs, 0, [2, 3, 4])
    answered(record, psfs, 4, [6, 5, 5])
    client.force_login(patient_user)
    page = client.get(reverse("patients:history")).text
    panel = page.split('id="outcome-psfs"', 1)[1]
    assert "Patient-Specific Functional Scale" in panel
    assert 'class="outcome-chart"' in panel and 'role="img"' in panel
    assert f'fill="{IMPROVED_COLOUR}" class="mcid-marker"' in panel
    assert (
        "PSFS: from 3.0 at baseline to 5.3, better than the baseline by at least 2 points" in panel
    )
    assert "Better by 2.3 points: a change that matters" in panel
    assert "1 Feb 2027" in panel  # the baseline's day in Tokyo


def test_the_clinician_sees_a_worse_change_marked_on_the_story(
    record, psfs, client, clinician, other_clinician
):
    answered(record, psfs, 0, [7, 7, 7])
    answered(record, psfs, 2, [4, 5, 5])
    client.force_login(clinician)
    page = client.get(reverse("patients:patient_detail", args=[record.pk])).text
    outcomes = page.split('id="outcomes"', 1)[1]
    assert f'fill="{WORSE_COLOUR}" class="mcid-marker"' in outcomes
    assert "Worse by 2.3 points: a change that matters" in outcomes
    client.force_login(other_clinician)
    assert client.get(reverse("patients:patient_detail", args=[record.pk])).status_code == 404


def test_the_history_takes_as_many_queries_for_many_answers_as_for_two(
    record, psfs, client, patient_user
):
    client.force_login(patient_user)
    answered(record, psfs, 0, [2, 3, 4])
    answered(record, psfs, 2, [3, 3, 4])
    client.get(reverse("patients:history"))
    with CaptureQueriesContext(connection) as two:
        client.get(reverse("patients:history"))
    for weeks in range(4, 14, 2):
        answered(record, psfs, weeks, [5, 5, 5])
    with CaptureQueriesContext(connection) as seven:
        client.get(reverse("patients:history"))
    assert len(seven) == len(two)


def test_a_score_in_the_table_is_escaped_text_not_markup(record, psfs, client, patient_user):
    response = answered(record, psfs, 0, [2, 3, 4])
    response.answers.filter(position=1).update(label="<script>alert(1)</script>")
    client.force_login(patient_user)
    page = client.get(reverse("patients:history")).text
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_the_dashboard_filters_patients_whose_outcome_improved_or_got_worse(
    psfs, clinician, client, django_assert_num_queries
):
    better = factories.PatientFactory(clinician=clinician, user__last_name="Better")
    worse = factories.PatientFactory(clinician=clinician, user__last_name="Worse")
    back = factories.PatientFactory(clinician=clinician, user__last_name="Recovered")
    factories.PatientFactory(clinician=clinician, user__last_name="Unasked")
    answered(better, psfs, 0, [2, 2, 2])
    answered(better, psfs, 4, [5, 4, 4])
    answered(worse, psfs, 0, [6, 6, 6])
    answered(worse, psfs, 2, [3, 4, 4])
    # Worse at first, back within the MCID since: only the latest answer counts.
    answered(back, psfs, 0, [6, 6, 6])
    answered(back, psfs, 2, [3, 3, 3])
    answered(back, psfs, 4, [5, 6, 6])
    assert [r.change for r in back.outcome_responses.order_by("due_on")] == ["", "worse", ""]

    client.force_login(clinician)
    improved = client.get(reverse("patients:clinic"), {"show": "improved"}).text
    assert "Better" in improved and "Worse" not in improved and "Unasked" not in improved
    worse_page = client.get(reverse("patients:clinic"), {"show": "worse"}).text
    assert "Worse" in worse_page and "Better" not in worse_page
    assert "Recovered" not in worse_page
    assert "Outcome improved" in worse_page  # the filter is offered with the others

    # A fixed number of queries whatever the number of answers.
    for weeks in (6, 8, 10):
        answered(better, psfs, weeks, [6, 6, 6])
    client.get(reverse("patients:clinic"), {"show": "improved"})
    with CaptureQueriesContext(connection) as queries:
        client.get(reverse("patients:clinic"), {"show": "improved"})
    answered(worse, psfs, 4, [2, 2, 2])
    answered(worse, psfs, 6, [2, 2, 2])
    with django_assert_num_queries(len(queries)):
        client.get(reverse("patients:clinic"), {"show": "improved"})
