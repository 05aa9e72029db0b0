"""Queries compiled once and run again with other ids (patients/compiled.py): the rows are
those the ORM gives for the same ids, whatever the ids, the day or the time zone asked for
before."""

import datetime

import pytest
import time_machine
from django.db.models import Q
from django.utils import timezone

from patients import compiled
from patients.clinical import pain_average_since
from patients.models import PainLog, Patient
from patients.services import dashboard
from tests.factories import AssignmentFactory, PatientFactory
from tests.patients.dated import NOW, ExerciseLogFactory, ItemFactory, PainLogFactory, days_ago

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def frozen_time():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def patients(clinician):
    """Three patients with different pain and exercise histories."""
    records = [PatientFactory(clinician=clinician, time_zone="UTC") for _ in range(3)]
    for number, patient in enumerate(records):
        assignment = AssignmentFactory(patient=patient, starts_on=days_ago(30))
        item = ItemFactory(assignment=assignment)
        for day in range(number + 1):
            ExerciseLogFactory(item=item, performed_on=days_ago(day))
        PainLogFactory(
            patient=patient,
            assignment=assignment,
            score=3 + number,
            recorded_for=timezone.now() - datetime.timedelta(hours=2 + number),
        )
    return records


def last_pain(ids: list[int]):
    return (
        PainLog.objects.filter(patient_id__in=ids)
        .order_by("patient_id")
        .values_list("patient_id", "score", "recorded_for")
    )


def test_other_ids_of_the_same_number_get_their_own_rows(patients):
    first, second, third = (patient.pk for patient in patients)
    key = ("test", "last pain")
    assert compiled.rows_for_ids(key, [first, second], last_pain) == list(
        last_pain([first, second])
    )
    # Compiled once: the second call binds other ids into the same SQL.
    assert compiled.rows_for_ids(key, [third, first], last_pain) == list(last_pain([third, first]))
    rows = compiled.rows_for_ids(key, [third], last_pain)
    assert rows == list(last_pain([third]))
    # Datetimes come back as the ORM gives them (aware), on SQLite as on PostgreSQL.
    assert rows[0][2] == PainLog.objects.get(patient=patients[2]).recorded_for


def test_a_query_that_repeats_the_ids_is_run_as_built(patients):
    def twice(ids: list[int]):
        return (
            Patient.objects.filter(Q(pk__in=ids) | Q(user_id__in=ids))
            .order_by("pk")
            .values_list("pk", flat=False)
        )

    ids = [patients[0].pk, patients[1].pk]
    assert compiled.rows_for_ids(("test", "twice"), ids, twice) == list(twice(ids))
    assert compiled.rows_for_ids(("test", "twice"), [patients[2].pk, 0], twice) == list(
        twice([patients[2].pk, 0])
    )


def test_the_dashboard_figures_follow_the_day_and_the_time_zone(patients):
    """The figures' SQL is keyed by the day and the zone: moving either gives the figures a
    query built afresh gives, never those compiled for another day or zone."""
    ids = [patient.pk for patient in patients]
    # Just before the seven-day pain window opens in UTC, inside it where the day starts
    # 14 hours earlier.
    PainLogFactory(
        patient=patients[0],
        assignment=patients[0].assignments.get(),
        score=10,
        recorded_for=pain_average_since(days_ago(0), datetime.UTC) - datetime.timedelta(hours=2),
    )

    def compiled_figures(today):
        return dashboard.patient_figures(patient_ids=ids, today=today)

    def built(today):
        rows = dashboard._patient_figures(Patient.objects.filter(pk__in=ids), today)
        return {
            pk: dashboard._Figures(*rest)
            for pk, *rest in rows.values_list("pk", *dashboard.FIGURES)
        }

    today = days_ago(0)
    figures = compiled_figures(today)
    assert figures == built(today)
    assert [figures[pk].done_today for pk in ids] == [1, 1, 1]
    assert [figures[pk].done_yesterday for pk in ids] == [0, 1, 1]
    tomorrow = today + datetime.timedelta(days=1)
    later = compiled_figures(tomorrow)
    assert later == built(tomorrow)
    assert [later[pk].done_today for pk in ids] == [0, 0, 0]
    assert [later[pk].done_yesterday for pk in ids] == [1, 1, 1]
    with timezone.override("Pacific/Kiritimati"):
        east = compiled_figures(today)
        assert east == built(today)
    assert east[ids[0]].pain_average == 6.5  # (3 + 10) / 2: the earlier log counts there
    assert figures[ids[0]].pain_average == 3.0


def test_adherence_follows_its_window_of_days(patients):
    """clinical.adherence compiles its SQL once per window: a window of the same length a
    day later counts that window's sessions, not the first one's."""
    from patients.clinical import adherence, sessions_logged_expression

    patient = patients[2]  # done today, yesterday and the day before

    def logged(days):
        return (
            Patient.objects.filter(pk=patient.pk)
            .annotate(n=sessions_logged_expression(days))
            .values_list("n", flat=True)
            .get()
        )

    window = [days_ago(4), days_ago(3), days_ago(2)]
    later = [days_ago(2), days_ago(1), days_ago(0)]
    assert adherence(patient=patient, days=window)[0] == logged(window) == 1
    assert adherence(patient=patient, days=later)[0] == logged(later) == 3
