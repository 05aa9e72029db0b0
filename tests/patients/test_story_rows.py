"""The rows the patient's story repeats, written by patients/templatetags/story_rows.py:
each situation a row can be in, as the clinician reads it, escaped."""

import datetime
import re
from decimal import Decimal
from types import SimpleNamespace

import pytest
import time_machine
from django.template.loader import render_to_string
from django.urls import reverse

from patients.services.outcomes import ActivityRow
from patients.templatetags import story_rows
from tests.factories import AssignmentFactory, PatientFactory
from tests.patients.dated import NOW, ExerciseLogFactory, ItemFactory, PainLogFactory, days_ago

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def frozen_time():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def record(clinician):
    return PatientFactory(clinician=clinician, time_zone="America/New_York")


def section(html: str, marker: str, end: str = "</table>") -> str:
    start = html.index(marker)
    return html[start : html.index(end, start)]


def cells(row_html: str) -> list[str]:
    """Each cell's text, tags stripped, spaces collapsed."""
    found = re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row_html, flags=re.S)
    return [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", cell)).strip() for cell in found]


def test_a_pain_log_row_says_when_in_the_patients_zone_late_red_flag_and_the_note(
    client, clinician, record
):
    program = AssignmentFactory(patient=record, starts_on=days_ago(10))
    PainLogFactory(
        patient=record,
        assignment=program,
        score=8,
        timing="night",
        region_other="<i>behind</i> the knee",
        recorded_for=datetime.datetime(2025, 3, 4, 3, 30, tzinfo=datetime.UTC),
        is_late=True,
        calf_swollen_warm_red=True,
        note="Woke at 3.\n<b>Sore</b> & hot",
    )
    client.force_login(clinician)

    html = client.get(reverse("patients:patient_detail", args=[record.pk])).text
    rows = section(html, 'id="pain-logs"')
    [row] = re.findall(r"<tr class=\"table-danger\">.*?</tr>", rows, flags=re.S)

    # 03:30 UTC is 22:30 the day before in New York.
    assert cells(row) == [
        "3 Mar 2025, 22:30 (added later)",
        "8 red flag",
        "&lt;i&gt;behind&lt;/i&gt; the knee at night",
        "Woke at 3.&lt;b&gt;Sore&lt;/b&gt; &amp; hot",
    ]
    assert "Woke at 3.<br>&lt;b&gt;Sore&lt;/b&gt; &amp; hot" in row


def test_an_exercise_row_shows_its_change_its_replacement_dosage_and_reports(
    client, clinician, record
):
    program = AssignmentFactory(patient=record, starts_on=days_ago(20), title="Calf program")
    item = ItemFactory(
        assignment=program,
        name="Heel <drops>",
        sets=2,
        reps=12,
        change="harder",
        replaced_on=days_ago(2),
    )
    ExerciseLogFactory(item=item, performed_on=days_ago(3), difficulty="too_hard", pain_during=4)
    ExerciseLogFactory(item=item, performed_on=days_ago(4), difficulty="too_hard", pain_during=5)
    ExerciseLogFactory(
        item=item, performed_on=days_ago(5), status="skipped", skip_reason="Too sore."
    )
    AssignmentFactory(patient=record, starts_on=days_ago(5), title="Empty program")
    client.force_login(clinician)

    html = client.get(reverse("patients:patient_detail", args=[record.pk])).text
    programs = {
        re.search(r">([^<]+)</a>", card).group(1): card
        for card in html.split('<article class="card mb-3"')[1:]
    }
    [row] = re.findall(r"<tr>\s*<th scope=\"row\".*?</tr>", programs["Calf program"], re.S)

    assert cells(row) == [
        "Heel &lt;drops&gt; Your clinician made this exercise harder. replaced on 3 Mar 2025",
        "2 sets of 12, once a day · every day",
        "2",
        "1",
        "0",
        "0",
        "2",
        "4.5",
    ]
    assert "No exercises in this program." in programs["Empty program"]
    assert "No exercises in this program." not in programs["Calf program"]


def test_the_dosage_in_a_row_is_the_dosage_snippets(record):
    program = AssignmentFactory(patient=record, starts_on=days_ago(5))
    for item in (
        ItemFactory(assignment=program, sets=3, reps=10, times_per_day=2, weekdays=0b0010101),
        ItemFactory(assignment=program, sets=None, reps=None, times_per_day=1),
    ):
        assert (
            story_rows._dosage(item)
            == render_to_string("patients/snippets/dosage.html", {"item": item}).strip()
        )


def test_the_activity_rows_say_not_asked_better_worse_and_escape_the_patients_words():
    html = story_rows.outcome_activity_rows(
        [
            ActivityRow(label="Walking <the dog>", values=[3, None, 7], change="improved"),
            ActivityRow(label="Stairs", values=[6, 4], change="worse"),
            ActivityRow(label="Gardening", values=[5, 5], change=""),
        ]
    )
    rows = re.findall(r"<tr .*?</tr>", html, flags=re.S)

    assert [cells(row) for row in rows] == [
        ["Walking &lt;the dog&gt;", "3", "–not asked", "7", "Better"],
        ["Stairs", "6", "4", "Worse"],
        ["Gardening", "5", "5", "–no change that matters"],
    ]
    assert 'class="text-success fw-semibold">Better' in rows[0]
    assert '<span class="visually-hidden">not asked</span>' in rows[0]
    assert 'class="text-danger fw-semibold">Worse' in rows[1]


def test_the_score_rows_mark_better_and_worse_for_eyes_and_screen_readers():
    panel = SimpleNamespace(
        rows=[
            SimpleNamespace(
                day=datetime.date(2025, 2, 1),
                score=Decimal("6.5"),
                status="",
                words="baseline",
            ),
            SimpleNamespace(
                day=datetime.date(2025, 3, 1),
                score=Decimal("3.0"),
                status="improved",
                words="3.5 points better",
            ),
            SimpleNamespace(
                day=datetime.date(2025, 3, 5),
                score=Decimal("8.0"),
                status="worse",
                words="1.5 points <worse>",
            ),
        ]
    )
    rows = re.findall(r"<tr .*?</tr>", story_rows.outcome_score_rows(panel), flags=re.S)

    assert [cells(row) for row in rows] == [
        ["1 Feb 2025", "6.5", "baseline"],
        ["1 Mar 2025", "3.0", "▲ 3.5 points better"],
        ["5 Mar 2025", "8.0", "▼ 1.5 points &lt;worse&gt;"],
    ]
    assert '<span aria-hidden="true">▲ </span>' in rows[1]
    assert rows[0].startswith('<tr data-status="">')


def test_the_same_moment_reads_in_each_patients_own_zone(client, clinician):
    """The rows' times are worked out once per moment: two patients in different zones who
    logged pain at the same instant still each read their own local time."""
    instant = datetime.datetime(2025, 3, 4, 3, 30, tzinfo=datetime.UTC)
    shown = []
    client.force_login(clinician)
    for zone in ("America/New_York", "Asia/Tokyo", "America/New_York"):
        patient = PatientFactory(clinician=clinician, time_zone=zone)
        PainLogFactory(patient=patient, score=4, recorded_for=instant)
        html = client.get(reverse("patients:patient_detail", args=[patient.pk])).text
        notes = section(html, 'id="pain-logs"')
        [row] = re.findall(r"<tr>.*?</tr>", notes[notes.index("<tbody>") :], flags=re.S)
        shown.append(cells(row)[0])

    assert shown == ["3 Mar 2025, 22:30", "4 Mar 2025, 12:30", "3 Mar 2025, 22:30"]
