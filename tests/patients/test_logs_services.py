"""Recording, undoing and counting exercise logs (patients/services/logs.py)."""

import datetime

import pytest
import time_machine
from django.core.exceptions import ValidationError

from patients.models import Assignment, AssignmentItem, ExerciseLog, PainLog
from patients.services import logs
from programs import weekdays
from tests.factories import AssignmentFactory, PatientFactory

pytestmark = pytest.mark.django_db

UTC = datetime.UTC
# Wednesday 5 March 2025, noon in London (and already Thursday 01:00 in Auckland).
NOW = datetime.datetime(2025, 3, 5, 12, 0, tzinfo=UTC)
WEDNESDAY = datetime.date(2025, 3, 5)
TUESDAY = datetime.date(2025, 3, 4)
MONDAY = datetime.date(2025, 3, 3)


@pytest.fixture(autouse=True)
def frozen_time():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def record(clinician, patient_user):
    return PatientFactory(user=patient_user, clinician=clinician, time_zone="Europe/London")


@pytest.fixture
def assignment(record):
    return AssignmentFactory(patient=record, starts_on=datetime.date(2025, 1, 1))


def make_item(assignment, name="Calf stretch", **dosage) -> AssignmentItem:
    return AssignmentItem.objects.create(
        assignment=assignment, name=name, instructions=f"How to do the {name}.", **dosage
    )


@pytest.fixture
def item(assignment):
    return make_item(assignment)


def record_log(**kwargs):
    kwargs.setdefault("day", WEDNESDAY)
    kwargs.setdefault("status", ExerciseLog.Status.DONE)
    kwargs.setdefault("now", NOW)
    return logs.exercise_log_record(**kwargs)


# --- recording ------------------------------------------------------------------------------


def test_it_records_a_done_session_with_difficulty_and_pain(record, item):
    log, created = record_log(patient=record, item=item, difficulty="about_right", pain_during=3)

    assert created
    assert (log.session, log.status, log.difficulty, log.pain_during, log.is_late) == (
        1,
        "done",
        "about_right",
        3,
        False,
    )
    assert log.assignment == item.assignment
    assert log.patient == record


def test_the_same_session_sent_twice_is_recorded_once(record, item):
    first, created = record_log(patient=record, item=item, session=1)
    second, created_again = record_log(patient=record, item=item, session=1)

    assert created and not created_again
    assert second == first
    assert ExerciseLog.objects.count() == 1


def test_a_second_request_racing_for_the_same_session_gets_the_first_log(record, item, monkeypatch):
    first, _ = record_log(patient=record, item=item)
    # The second tap read the sessions before the first one was written.
    monkeypatch.setattr(logs, "_recorded_sessions", lambda **kwargs: {})

    second, created = record_log(patient=record, item=item)

    assert not created
    assert second == first
    assert ExerciseLog.objects.count() == 1


def test_it_takes_the_next_free_session_and_refuses_one_beyond_times_per_day(record, assignment):
    twice = make_item(assignment, times_per_day=2)

    first, _ = record_log(patient=record, item=twice)
    second, _ = record_log(patient=record, item=twice, status="skipped", skip_reason="Busy")
    with pytest.raises(ValidationError, match="All 2 sessions"):
        record_log(patient=record, item=twice)
    with pytest.raises(ValidationError, match="2 sessions a day"):
        record_log(patient=record, item=twice, session=3)

    assert (first.session, second.session) == (1, 2)
    assert ExerciseLog.objects.count() == 2


def test_an_undone_session_is_free_again(record, assignment):
    twice = make_item(assignment, times_per_day=2)
    first, _ = record_log(patient=record, item=twice)
    record_log(patient=record, item=twice)

    logs.exercise_log_undo(patient=record, log=first)
    again, created = record_log(patient=record, item=twice)

    assert created and again.session == 1


def test_it_refuses_an_item_of_another_patient(record, clinician, other_patient_user):
    other = PatientFactory(user=other_patient_user, clinician=clinician)
    theirs = make_item(AssignmentFactory(patient=other, starts_on=datetime.date(2025, 1, 1)))

    with pytest.raises(ValidationError, match="not part of your current program"):
        record_log(patient=record, item=theirs)

    assert not ExerciseLog.objects.exists()


@pytest.mark.parametrize(
    "change",
    [
        {"status": Assignment.Status.PAUSED},
        {"status": Assignment.Status.ENDED},
        {"ends_on": TUESDAY},
        {"starts_on": datetime.date(2025, 3, 6)},
    ],
)
def test_it_refuses_an_item_of_an_assignment_not_current_that_day(record, assignment, change):
    item = make_item(assignment)
    for field, value in change.items():
        setattr(assignment, field, value)
    assignment.save()
    item.refresh_from_db()

    with pytest.raises(ValidationError, match="not part of your current program"):
        record_log(patient=record, item=item)

    assert not ExerciseLog.objects.exists()


def test_it_refuses_an_item_not_planned_that_day(record, assignment):
    mondays = make_item(assignment, weekdays=weekdays.to_mask([0]))

    with pytest.raises(ValidationError, match="not planned for that day"):
        record_log(patient=record, item=mondays)


def test_yesterday_can_be_added_and_is_marked_late(record, item):
    log, created = record_log(patient=record, item=item, day=TUESDAY)

    assert created
    assert log.is_late
    assert log.performed_on == TUESDAY


@pytest.mark.parametrize(
    ("day", "message"),
    [
        (MONDAY, "today or yesterday only"),
        (datetime.date(2025, 3, 6), "has not come yet"),
    ],
)
def test_it_refuses_two_days_ago_and_tomorrow(record, item, day, message):
    with pytest.raises(ValidationError, match=message):
        record_log(patient=record, item=item, day=day)

    assert not ExerciseLog.objects.exists()


def test_today_and_yesterday_are_the_patients_own_dates(record, item):
    # Noon UTC on Wednesday is 01:00 on Thursday in Auckland: Wednesday is yesterday there.
    record.time_zone = "Pacific/Auckland"
    record.save()

    log, _ = record_log(patient=record, item=item, day=WEDNESDAY)
    with pytest.raises(ValidationError, match="today or yesterday only"):
        record_log(patient=record, item=item, day=TUESDAY)

    assert log.is_late
    assert logs.patient_local_today(patient=record, now=NOW) == datetime.date(2025, 3, 6)


def test_skipping_needs_a_reason_and_keeps_no_difficulty_or_pain(record, item):
    with pytest.raises(ValidationError, match="why you are skipping"):
        record_log(patient=record, item=item, status="skipped", skip_reason="   ")

    log, _ = record_log(
        patient=record,
        item=item,
        status="skipped",
        skip_reason="  Calf too sore  ",
        difficulty="too_hard",
        pain_during=7,
    )

    assert (log.skip_reason, log.difficulty, log.pain_during) == ("Calf too sore", "", None)


@pytest.mark.parametrize(
    "bad",
    [
        {"pain_during": 11},
        {"pain_during": -1},
        {"pain_during": "abc"},
        {"difficulty": "impossible"},
        {"status": "maybe"},
    ],
)
def test_it_refuses_out_of_range_values_and_saves_nothing(record, item, bad):
    with pytest.raises(ValidationError):
        record_log(patient=record, item=item, **bad)

    assert not ExerciseLog.objects.exists()


# --- undo -----------------------------------------------------------------------------------


def test_undo_deletes_a_log_recorded_today(record, item):
    log, _ = record_log(patient=record, item=item)
    logs.exercise_log_undo(patient=record, log=log)

    assert not ExerciseLog.objects.exists()


def test_undo_keeps_a_log_recorded_on_an_earlier_day(record, item, frozen_time):
    frozen_time.move_to(NOW - datetime.timedelta(days=1))
    log, _ = record_log(patient=record, item=item, day=TUESDAY, now=None)
    frozen_time.move_to(NOW)

    with pytest.raises(ValidationError, match="recorded today"):
        logs.exercise_log_undo(patient=record, log=log)

    assert ExerciseLog.objects.count() == 1


def test_undo_refuses_another_patients_log(record, item, clinician, other_patient_user):
    other = PatientFactory(user=other_patient_user, clinician=clinician)
    log, _ = record_log(patient=record, item=item)
    with pytest.raises(ValidationError):
        logs.exercise_log_undo(patient=other, log=log)

    assert ExerciseLog.objects.count() == 1


# --- adherence ------------------------------------------------------------------------------


def done(item, day, session=1, status=ExerciseLog.Status.DONE):
    return ExerciseLog.objects.create(
        patient=item.assignment.patient,
        assignment=item.assignment,
        item=item,
        performed_on=day,
        session=session,
        status=status,
        skip_reason="Busy" if status == ExerciseLog.Status.SKIPPED else "",
    )


def test_week_adherence_counts_sessions_done_over_those_planned_since_monday(
    record, assignment, clinician, other_patient_user, django_assert_num_queries
):
    twice_daily = make_item(assignment, "Heel drops", times_per_day=2)
    mon_wed = make_item(assignment, "Wall stretch", weekdays=weekdays.to_mask([0, 2]))
    # Started on Tuesday: planned from Tuesday only.
    later = AssignmentFactory(patient=record, starts_on=TUESDAY)
    late_item = make_item(later, "Calf raise")
    # Paused: not planned, and what was logged does not count.
    paused = AssignmentFactory(
        patient=record, starts_on=datetime.date(2025, 1, 1), status=Assignment.Status.PAUSED
    )
    paused_item = make_item(paused, "Paused")

    done(twice_daily, MONDAY, 1)
    done(twice_daily, MONDAY, 2)
    done(twice_daily, TUESDAY, 1)
    done(twice_daily, TUESDAY, 2, status=ExerciseLog.Status.SKIPPED)
    done(mon_wed, WEDNESDAY)
    done(late_item, TUESDAY)
    done(paused_item, MONDAY)
    done(twice_daily, datetime.date(2025, 3, 2))  # last week's Sunday
    other = PatientFactory(user=other_patient_user, clinician=clinician)
    theirs = make_item(AssignmentFactory(patient=other, starts_on=datetime.date(2025, 1, 1)))
    done(theirs, MONDAY)

    with django_assert_num_queries(2):
        logged, prescribed = logs.week_adherence(patient=record, day=WEDNESDAY)

    # Planned: heel drops 2 × 3 days, wall stretch Mon + Wed, calf raise Tue + Wed.
    assert prescribed == 6 + 2 + 2
    # Done: Mon 2 + Tue 1 heel drops, Wed wall stretch, Tue calf raise.
    assert logged == 5


def test_week_adherence_on_a_monday_counts_monday_only(record, assignment):
    item = make_item(assignment, times_per_day=3)
    done(item, MONDAY)

    assert logs.week_adherence(patient=record, day=MONDAY) == (1, 3)


def test_week_adherence_is_zero_of_zero_without_a_program(record):
    assert logs.week_adherence(patient=record, day=WEDNESDAY) == (0, 0)


# --- the day's plan and history -------------------------------------------------------------


def test_the_day_plan_lists_due_items_in_order_with_their_logs(record, assignment):
    second = make_item(assignment, "Second", order=2)
    first = make_item(assignment, "First", order=1, times_per_day=2)
    make_item(assignment, "Mondays", weekdays=weekdays.to_mask([0]))
    done(first, WEDNESDAY)

    plan = logs.exercise_day_plan(patient=record, day=WEDNESDAY)

    assert [p.item for p in plan.items] == [first, second]
    assert (plan.sessions_done, plan.sessions_prescribed) == (1, 3)
    assert plan.items[0].next_session == 2
    assert not plan.items[0].is_complete


def pain(patient, when, score):
    return PainLog.objects.create(patient=patient, score=score, recorded_for=when)


def test_history_keeps_the_period_asked_for(record, item):
    pain(record, NOW - datetime.timedelta(days=100), 8)
    pain(record, NOW - datetime.timedelta(days=40), 6)
    pain(record, NOW - datetime.timedelta(hours=2), 3)
    done(item, WEDNESDAY - datetime.timedelta(days=40))
    done(item, WEDNESDAY)

    last_30 = logs.patient_history(patient=record, days=30)
    last_90 = logs.patient_history(patient=record, days=90)
    everything = logs.patient_history(patient=record, days=None)

    assert [score for _when, score in last_30.pain] == [3]
    assert last_30.start == WEDNESDAY - datetime.timedelta(days=29)
    assert last_30.sessions == {WEDNESDAY: 1}
    assert [score for _when, score in last_90.pain] == [6, 3]
    assert [score for _when, score in everything.pain] == [8, 6, 3]
    assert everything.start == WEDNESDAY - datetime.timedelta(days=100)
    assert len(everything.sessions) == 2
