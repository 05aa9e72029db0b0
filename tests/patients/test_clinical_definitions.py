"""One home for each clinical definition (patients/clinical.py, patients/models/assignment.py):
the dashboard and the patient's own page count adherence alike in every situation, and the
row rules ("the program current on a day", "an exercise due on a day") say the same in the
database and in memory."""

import datetime
import random

import pytest
import time_machine
from django.urls import reverse

from patients import clinical
from patients.models import Assignment, AssignmentItem, ExerciseLog, current_on, item_due_on
from patients.services import dashboard, logs
from programs import weekdays
from tests.factories import AssignmentFactory, PatientFactory
from tests.patients.dated import ExerciseLogFactory

pytestmark = pytest.mark.django_db

MONDAY = datetime.date(2025, 3, 3)
SUNDAY = datetime.date(2025, 3, 9)
# Sunday noon in London: the patient's own page shows Monday 3 to Sunday 9 March; the
# dashboard of Monday 10 March shows the seven days before, the same week.
SUNDAY_NOON = datetime.datetime(2025, 3, 9, 12, 0, tzinfo=datetime.UTC)
WEEK = [MONDAY + datetime.timedelta(days=n) for n in range(7)]


def day(n: int) -> datetime.date:
    """Monday + n days."""
    return MONDAY + datetime.timedelta(days=n)


def item(assignment, **fields) -> AssignmentItem:
    fields.setdefault("name", "Calf stretch")
    return AssignmentItem.objects.create(assignment=assignment, instructions="Slowly.", **fields)


def log(on_item, n: int, session: int = 1, status=ExerciseLog.Status.DONE) -> None:
    ExerciseLogFactory(item=on_item, performed_on=day(n), session=session, status=status)


def twice_daily_with_skips_and_extras(assignment):
    stretch = item(assignment, times_per_day=2)
    for n, session in [(0, 1), (0, 2), (1, 1), (4, 1), (6, 2)]:
        log(stretch, n, session)
    log(stretch, 2, 1, ExerciseLog.Status.SKIPPED)


def weekly_with_a_log_on_a_day_not_due(assignment):
    weekly = item(assignment, weekdays=weekdays.to_mask([0, 3]))
    log(weekly, 0)
    log(weekly, 1)  # Tuesday: not due, never counted


def advice_logged_before_it_was_told_apart(assignment):
    advice = item(assignment, name="Footwear", is_advice=True, times_per_day=3)
    log(advice, 2)
    log(item(assignment), 2)


def replaced_midweek_by_a_harder_copy(assignment):
    old = item(assignment, name="Calf stretch")
    new = item(assignment, name="Calf stretch, harder", changed_on=day(3))
    old.replaced_on, old.replaced_by = day(3), new
    old.save()
    for n in (0, 1, 3):
        log(old, n)  # Thursday's log of the old copy: not due any more
    for n in (3, 4, 5):
        log(new, n)


def started_midweek(assignment):
    assignment.starts_on = day(3)
    assignment.save()
    stretch = item(assignment)
    for n in (3, 5):
        log(stretch, n)


def ended_midweek(assignment):
    assignment.ends_on = day(2)
    assignment.save()
    stretch = item(assignment)
    for n in (0, 1):
        log(stretch, n)


def paused(assignment):
    stretch = item(assignment)
    log(stretch, 0)
    assignment.status = Assignment.Status.PAUSED
    assignment.save()


def two_programs_overlapping(assignment):
    log(item(assignment, times_per_day=2), 1)
    drops = item(AssignmentFactory(patient=assignment.patient, starts_on=day(2)), name="Drops")
    for n in (2, 3):
        log(drops, n)


SITUATIONS = {
    f.__name__: f
    for f in [
        twice_daily_with_skips_and_extras,
        weekly_with_a_log_on_a_day_not_due,
        advice_logged_before_it_was_told_apart,
        replaced_midweek_by_a_harder_copy,
        started_midweek,
        ended_midweek,
        paused,
        two_programs_overlapping,
    ]
}

EXPECTED = {  # (logged, prescribed), worked out by hand from each situation
    "twice_daily_with_skips_and_extras": (5, 14),
    "weekly_with_a_log_on_a_day_not_due": (1, 2),
    "advice_logged_before_it_was_told_apart": (1, 7),
    "replaced_midweek_by_a_harder_copy": (5, 7),
    "started_midweek": (2, 4),
    "ended_midweek": (2, 3),
    "paused": (0, 0),
    "two_programs_overlapping": (3, 19),
}


@pytest.mark.parametrize("situation", SITUATIONS, ids=SITUATIONS)
def test_the_dashboard_and_the_patients_own_page_count_adherence_alike(
    client, clinician, patient_user, situation
):
    record = PatientFactory(user=patient_user, clinician=clinician, time_zone="Europe/London")
    assignment = AssignmentFactory(patient=record, starts_on=MONDAY - datetime.timedelta(days=7))
    SITUATIONS[situation](assignment)

    [row] = dashboard.dashboard_rows(patient_ids=[record.pk], today=SUNDAY + datetime.timedelta(1))
    client.force_login(patient_user)
    with time_machine.travel(SUNDAY_NOON, tick=False):
        page = client.get(reverse("patients:today"))

    on_the_dashboard = (row.sessions_logged, row.sessions_prescribed)
    on_the_patients_page = (page.context["week_logged"], page.context["week_prescribed"])
    assert on_the_dashboard == on_the_patients_page == EXPECTED[situation]
    assert row.adherence_percent == page.context["week_percent"]
    if row.adherence_percent is not None:
        assert f"{row.adherence_percent}%" in page.text


@pytest.mark.parametrize("situation", SITUATIONS, ids=SITUATIONS)
def test_the_row_rules_say_the_same_in_the_database_and_in_memory(clinician, situation):
    assignment = AssignmentFactory(
        patient=PatientFactory(clinician=clinician), starts_on=MONDAY - datetime.timedelta(days=7)
    )
    SITUATIONS[situation](assignment)
    items = AssignmentItem.objects.filter(assignment__patient=assignment.patient)
    assignments = Assignment.objects.filter(patient=assignment.patient)

    for on in [MONDAY - datetime.timedelta(days=8), *WEEK]:
        current = set(assignments.current_on(on))
        assert current == set(assignments.filter(current_on(on)))
        assert current == {a for a in assignments if a.is_current_on(on)}, on
        due = set(items.filter(item_due_on(on)))
        assert due == {i for i in items if i.is_due_on(on)}, on


def test_a_pain_log_belongs_to_the_latest_program_current_that_day(clinician):
    patient = PatientFactory(clinician=clinician)
    older = AssignmentFactory(patient=patient, starts_on=day(0))
    newer = AssignmentFactory(patient=patient, starts_on=day(2))
    AssignmentFactory(patient=patient, starts_on=day(5))  # not yet started on day 3

    assert patient.assignments.latest_current_on(day(1)) == older
    assert patient.assignments.latest_current_on(day(3)) == newer
    newer.status = Assignment.Status.ENDED
    newer.save()
    assert patient.assignments.latest_current_on(day(3)) == older


# --- the patient's page counts in memory what the dashboard counts in SQL --------------------


def windows() -> list[list[datetime.date]]:
    """Monday to each day of the week (the patient's page) and seven days ending on each
    (the dashboard's window), around the situations' week."""
    mondays = [WEEK[: n + 1] for n in range(7)]
    sevens = [
        [MONDAY + datetime.timedelta(days=start + n) for n in range(7)] for start in range(-6, 7)
    ]
    return mondays + sevens


@pytest.mark.parametrize("situation", SITUATIONS, ids=SITUATIONS)
def test_the_patients_page_counts_adherence_in_memory_as_the_sql_definition(clinician, situation):
    patient = PatientFactory(clinician=clinician)
    assignment = AssignmentFactory(patient=patient, starts_on=MONDAY - datetime.timedelta(days=7))
    SITUATIONS[situation](assignment)
    AssignmentFactory(patient=PatientFactory(clinician=clinician), starts_on=MONDAY)  # not theirs

    for days in windows():
        assert logs.adherence_in_memory(patient=patient, days=days) == clinical.adherence(
            patient=patient, days=days
        ), days
    assert logs.week_adherence(patient=patient, day=SUNDAY) == EXPECTED[situation]


@pytest.mark.parametrize("seed", range(12))
def test_adherence_in_memory_equals_the_sql_definition_on_random_programs(clinician, seed):
    """Random programs (statuses, dates, weekdays, times a day, replaced copies, advice) and
    random logs (done and skipped, on any day, any session): both counts agree."""
    rng = random.Random(seed)
    patient = PatientFactory(clinician=clinician)
    other = PatientFactory(clinician=clinician)
    items = []
    for _ in range(rng.randint(1, 3)):
        starts = MONDAY + datetime.timedelta(days=rng.randint(-10, 6))
        assignment = AssignmentFactory(
            patient=patient,
            starts_on=starts,
            ends_on=rng.choice([None, starts + datetime.timedelta(days=rng.randint(0, 10))]),
            status=rng.choice(list(Assignment.Status.values) + [Assignment.Status.ACTIVE] * 3),
        )
        for _ in range(rng.randint(0, 4)):
            items.append(
                item(
                    assignment,
                    times_per_day=rng.randint(1, 3),
                    weekdays=rng.randint(1, weekdays.ALL_DAYS),
                    is_advice=rng.random() < 0.15,
                    changed_on=rng.choice([None, None, day(rng.randint(-2, 7))]),
                    replaced_on=rng.choice([None, None, day(rng.randint(-2, 7))]),
                )
            )
    items.append(item(AssignmentFactory(patient=other, starts_on=MONDAY)))  # someone else's
    for on_item in items:
        for n in range(-3, 9):
            for session in range(1, 4):
                if rng.random() < 0.3:
                    ExerciseLogFactory(
                        item=on_item,
                        performed_on=day(n),
                        session=session,
                        status=rng.choice(list(ExerciseLog.Status.values)),
                    )

    for days in windows():
        assert logs.adherence_in_memory(patient=patient, days=days) == clinical.adherence(
            patient=patient, days=days
        ), days
    for on in WEEK:
        today = logs.exercise_today(patient=patient, day=on)
        week = clinical.adherence(patient=patient, days=WEEK[: on.weekday() + 1])
        assert (today.week_logged, today.week_prescribed) == week, on
        assert plan_of(today.plan) == plan_of(logs.exercise_day_plan(patient=patient, day=on))


def plan_of(plan) -> tuple:
    """A day's plan as ids: each assignment with its items due and their logs, the tips."""
    groups = [
        (a.pk, [(p.item.pk, [log.pk for log in p.logs]) for p in planned])
        for a, planned in plan.groups
    ]
    return groups, [tip.pk for tip in plan.tips]
