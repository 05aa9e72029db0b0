"""patients.services.assignments: creating an assignment once, and its state machine
(active → paused → active → ended), whatever page or command calls them."""

import datetime
import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, transaction

from patients import services
from patients.models import Assignment, ReminderSchedule
from tests.factories import AssignmentFactory, PatientFactory, ProgramFactory, ProgramItemFactory

START = datetime.date(2025, 3, 10)


@pytest.fixture
def program(clinician):
    program = ProgramFactory(owner=clinician, title="Calf program")
    ProgramItemFactory(program=program, name="Wall stretch", order=0)
    return program


def _create(program, patient, **overrides):
    return services.assignment_create(
        program=program,
        patient=patient,
        assigned_by=program.owner,
        starts_on=overrides.pop("starts_on", START),
        reminder_times=[datetime.time(8)],
        **overrides,
    )


@pytest.mark.django_db
def test_the_same_program_from_the_same_dates_is_refused_with_the_existing_assignment(
    clinician, program
):
    patient = PatientFactory(clinician=clinician)
    first = _create(program, patient)

    with pytest.raises(services.AlreadyAssigned) as refused:
        _create(program, patient)

    assert refused.value.assignment == first
    assert Assignment.objects.count() == 1
    assert ReminderSchedule.objects.count() == 1


@pytest.mark.django_db
def test_the_same_program_from_another_date_or_after_it_ended_is_a_new_assignment(
    clinician, program
):
    patient = PatientFactory(clinician=clinician)
    first = _create(program, patient)
    later = _create(program, patient, starts_on=START + datetime.timedelta(days=7))
    services.assignment_end(assignment=first)
    again = _create(program, patient)

    assert len({first.pk, later.pk, again.pk}) == 3
    assert again.status == Assignment.Status.ACTIVE


@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_assignments_of_the_same_program_make_one_copy(clinician, program):
    patient = PatientFactory(clinician=clinician)
    outcomes: list[str] = []

    def second_request():
        try:
            _create(program, patient)
            outcomes.append("created")
        except services.AlreadyAssigned:
            outcomes.append("already assigned")
        finally:
            connection.close()

    # The first request holds its transaction open while the second one arrives.
    with transaction.atomic():
        _create(program, patient)
        thread = threading.Thread(target=second_request)
        thread.start()
        thread.join(timeout=1)
        assert thread.is_alive(), "the second request should wait for the first one's lock"
    thread.join(timeout=30)

    assert outcomes == ["already assigned"]
    assert Assignment.objects.count() == 1


@pytest.mark.django_db
def test_pausing_resuming_and_ending_move_the_assignment_and_its_reminders(clinician, program):
    assignment = _create(program, PatientFactory(clinician=clinician))
    schedule = assignment.reminder_schedules.get()
    assert schedule.next_due_at is not None

    services.assignment_pause(assignment=assignment)
    schedule.refresh_from_db()
    assert assignment.status == Assignment.Status.PAUSED
    assert schedule.next_due_at is None

    services.assignment_resume(assignment=assignment)
    schedule.refresh_from_db()
    assert Assignment.objects.get(pk=assignment.pk).status == Assignment.Status.ACTIVE
    assert schedule.next_due_at is not None

    services.assignment_end(assignment=assignment)
    schedule.refresh_from_db()
    assert Assignment.objects.get(pk=assignment.pk).status == Assignment.Status.ENDED
    assert schedule.next_due_at is None


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("status", "transition"),
    [
        (Assignment.Status.ACTIVE, services.assignment_resume),
        (Assignment.Status.PAUSED, services.assignment_pause),
        (Assignment.Status.ENDED, services.assignment_pause),
        (Assignment.Status.ENDED, services.assignment_resume),
        (Assignment.Status.ENDED, services.assignment_end),
    ],
)
def test_an_impossible_transition_is_refused_with_a_clear_error_and_changes_nothing(
    status, transition, caplog
):
    assignment = AssignmentFactory(status=status)

    with pytest.raises(ValidationError) as refused:
        transition(assignment=assignment)

    assert refused.value.code == "impossible_transition"
    assert "cannot be changed that way" in refused.value.messages[0]
    assert Assignment.objects.get(pk=assignment.pk).status == status
    assert f"Assignment {assignment.pk} (patient {assignment.patient_id}) not moved" in caplog.text


@pytest.mark.django_db
def test_moving_the_dates_saves_them_and_an_end_before_the_start_is_refused(clinician):
    assignment = AssignmentFactory(patient__clinician=clinician)
    start = assignment.starts_on

    moved = services.assignment_set_dates(
        assignment=assignment, starts_on=start + datetime.timedelta(days=7), ends_on=None
    )
    assert moved.starts_on == start + datetime.timedelta(days=7)
    assert Assignment.objects.get(pk=assignment.pk).starts_on == start + datetime.timedelta(days=7)

    with pytest.raises(ValidationError) as refused:
        services.assignment_set_dates(
            assignment=assignment, starts_on=start, ends_on=start - datetime.timedelta(days=1)
        )
    assert "on or after the start date" in refused.value.message_dict["ends_on"][0]
    saved = Assignment.objects.get(pk=assignment.pk)
    assert (saved.starts_on, saved.ends_on) == (start + datetime.timedelta(days=7), None)


@pytest.mark.django_db
def test_a_transition_reads_the_status_from_the_database_not_from_a_stale_copy(clinician):
    assignment = AssignmentFactory(patient__clinician=clinician)
    stale = Assignment.objects.get(pk=assignment.pk)
    services.assignment_end(assignment=assignment)

    # Another tab still shows the program as active: pausing it now is refused.
    with pytest.raises(ValidationError):
        services.assignment_pause(assignment=stale)
    assert Assignment.objects.get(pk=assignment.pk).status == Assignment.Status.ENDED


@pytest.mark.django_db
def test_the_bulk_path_makes_what_one_by_one_makes_in_each_patients_zone(clinician, program):
    london = PatientFactory(clinician=clinician, time_zone="Europe/London")
    auckland = PatientFactory(clinician=clinician, time_zone="Pacific/Auckland")
    stopped = PatientFactory(clinician=clinician, reminders_paused=True)
    one_by_one = {
        patient.pk: _create(program, patient, starts_on=START + datetime.timedelta(days=1))
        for patient in (london, auckland, stopped)
    }

    made = services.assignments_create_in_bulk(
        program=program,
        assigned_by=clinician,
        new=[
            services.NewAssignment(patient=p, starts_on=START) for p in (london, auckland, stopped)
        ],
        reminder_times=[datetime.time(8)],
    )

    for assignment in made:
        single = one_by_one[assignment.patient_id]
        assert list(assignment.items.values_list("name", flat=True)) == ["Wall stretch"]
        [schedule] = assignment.reminder_schedules.all()
        [expected] = single.reminder_schedules.all()
        assert schedule.local_time == expected.local_time
        assert schedule.next_due_at == expected.next_due_at
    due = {a.patient_id: a.reminder_schedules.get().next_due_at for a in made}
    assert due[stopped.pk] is None
    assert due[london.pk] != due[auckland.pk]
