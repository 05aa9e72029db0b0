"""One patient's story (/clinic/patients/<id>/): the chart with program changes, per-exercise
feedback, programs with schedules and deliveries, alerts, notes, the test reminder button."""

import datetime

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from patients.models import Alert, Assignment, Delivery, PainLog, ReminderSchedule
from patients.services import dashboard
from patients.services import story as story_services
from tests.factories import AssignmentFactory, BodyRegionFactory, PatientFactory
from tests.patients.dated import (
    NOW,
    TODAY,
    AlertFactory,
    DeliveryFactory,
    ExerciseLogFactory,
    ItemFactory,
    PainLogFactory,
    days_ago,
    moment,
    pain_logs,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def frozen_time():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def record(clinician):
    return PatientFactory(
        clinician=clinician,
        user__first_name="Pat",
        user__last_name="Jones",
        user__email="pat@example.org",
        phone="+447911123456",
        time_zone="Europe/London",
    )


@pytest.fixture
def program(record):
    program = AssignmentFactory(patient=record, starts_on=days_ago(20), title="Calf program")
    ReminderSchedule.objects.create(
        assignment=program, local_time=datetime.time(8, 0), weekdays=0b0011111
    )
    return program


def story_url(patient) -> str:
    return reverse("patients:patient_detail", args=[patient.pk])


def test_the_story_shows_figures_feedback_and_schedules(client, clinician, record, program):
    stretch = ItemFactory(assignment=program, name="Wall stretch", times_per_day=2)
    heel_drops = ItemFactory(assignment=program, name="Heel drops")
    ExerciseLogFactory(item=stretch, performed_on=days_ago(1), difficulty="too_easy", pain_during=2)
    ExerciseLogFactory(
        item=stretch, performed_on=days_ago(1), session=2, difficulty="about_right", pain_during=5
    )
    ExerciseLogFactory(item=heel_drops, performed_on=days_ago(1), difficulty="too_hard")
    ExerciseLogFactory(item=heel_drops, performed_on=days_ago(2), difficulty="too_hard")
    ExerciseLogFactory(
        item=heel_drops, performed_on=days_ago(3), status="skipped", skip_reason="Calf too sore."
    )
    pain_logs(program, [6, 6, 6, 4], first=days_ago(10))
    client.force_login(clinician)

    response = client.get(story_url(record))

    assert response.status_code == 200
    [assignment] = response.context["assignments"]
    feedback = {f.item.name: f for f in assignment.feedback}
    stretch_feedback = feedback["Wall stretch"]
    assert (stretch_feedback.done, stretch_feedback.too_easy, stretch_feedback.about_right) == (
        2,
        1,
        1,
    )
    assert stretch_feedback.pain_during == pytest.approx(3.5)
    heel = feedback["Heel drops"]
    assert (heel.done, heel.skipped, heel.too_hard, heel.pain_during) == (2, 1, 2, None)
    text = response.text
    for expected in [
        "Calf program",
        "baseline pain 6.0",
        "08:00 exercise reminder, email",
        "on weekdays",
        "Wall stretch",
        "3.5",
        "Calf too sore.",
        "self-reported",
        "pat@example.org",
        "+44 7911 123456",
        "Europe/London",
        "Invite to the app",
        "Send test reminder",
        "Export CSV",
    ]:
        assert expected in text, expected


def test_the_chart_marks_program_starts_pauses_and_ends(client, clinician, record, program):
    ended = AssignmentFactory(
        patient=record, starts_on=days_ago(60), ends_on=days_ago(21), title="First program"
    )
    Assignment.objects.filter(pk=ended.pk).update(status=Assignment.Status.ENDED)
    paused = AssignmentFactory(patient=record, starts_on=days_ago(5), title="Extra")
    with time_machine.travel(NOW - datetime.timedelta(days=2), tick=False):
        paused.status = Assignment.Status.PAUSED
        paused.save()
    pain_logs(program, [5, 4, 3], first=days_ago(3))
    client.force_login(clinician)

    response = client.get(story_url(record), {"period": "90"})

    events = [(e.day, e.kind, e.title) for e in response.context["chart"].events]
    assert events == [
        (days_ago(60), "start", "First program"),
        (days_ago(21), "end", "First program"),
        (days_ago(20), "start", "Calf program"),
        (days_ago(5), "start", "Extra"),
        (days_ago(2), "pause", "Extra"),
    ]
    svg = str(response.context["chart"].svg)
    assert svg.count('class="program-event"') == 5
    assert svg.endswith("</svg>")
    assert "Program paused: Extra" in response.text
    # 30 days: the first program's start is outside the chart.
    response = client.get(story_url(record), {"period": "30"})
    assert len(response.context["chart"].events) == 4


def test_a_bad_period_falls_back_to_90_days(client, clinician, record):
    client.force_login(clinician)

    response = client.get(story_url(record), {"period": "<script>"})

    assert response.status_code == 200
    assert response.context["period"] == "90"
    chart = response.context["chart"].chart
    assert (chart.start, chart.end) == (days_ago(89), TODAY)


def test_open_alerts_come_first_with_forms_and_acknowledged_ones_show_who_and_when(
    client, clinician, record
):
    AlertFactory(patient=record, kind="too_hard", dedupe_key="item:1", message="Too hard: x")
    AlertFactory(patient=record, message="Red flag: calf")
    AlertFactory(
        patient=record,
        kind="no_activity",
        dedupe_key="patient",
        message="Quiet",
        acknowledged_at=NOW - datetime.timedelta(days=1),
        acknowledged_by=clinician,
        acknowledgement_note="Called: on holiday.",
    )
    AlertFactory(
        patient=record,
        kind="program_ending",
        dedupe_key="p",
        message="Ends",
        acknowledged_at=NOW - datetime.timedelta(days=2),
        acknowledgement_note="Resolved automatically: the condition no longer holds.",
    )
    client.force_login(clinician)

    response = client.get(story_url(record))

    assert [a.kind for a in response.context["story"].open_alerts] == ["red_flag", "too_hard"]
    text = response.text
    assert text.index("Red flag: calf") < text.index("Too hard: x") < text.index("Quiet")
    assert text.count('data-testid="open-alert"') == 2
    assert text.count("Acknowledge</button>") == 2
    assert "Note (required): what did you do?" in text
    assert "Called: on holiday." in text
    assert "4 Mar 2025, 12:00" in text
    assert "automatically" in text


def test_the_delivery_history_shows_the_latest_20_with_their_outcome(
    client, clinician, record, program
):
    schedule = program.reminder_schedules.get()
    DeliveryFactory.create_batch(22, patient=record, schedule=schedule)
    DeliveryFactory(
        patient=record,
        schedule=schedule,
        occurrence=NOW - datetime.timedelta(minutes=5),
        status=Delivery.Status.SKIPPED,
        reason="Today's exercises are already done.",
    )
    DeliveryFactory(
        patient=record,
        schedule=None,
        kind=Delivery.Kind.TEST,
        occurrence=NOW - datetime.timedelta(minutes=1),
        status=Delivery.Status.FAILED,
        reason="The patient has no mobile number.",
    )
    client.force_login(clinician)

    response = client.get(story_url(record))

    deliveries = response.context["story"].deliveries
    assert len(deliveries) == 20
    assert [d.status for d in deliveries[:2]] == ["failed", "skipped"]
    text = response.text
    assert text.count('data-testid="delivery"') == 20
    assert "The patient has no mobile number." in text
    assert "Today&#x27;s exercises are already done." in text
    assert "Test reminder" in text


def test_send_test_reminder_queues_one_through_the_real_pipeline(
    client, clinician, record, django_capture_on_commit_callbacks
):
    client.force_login(clinician)

    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post(
            reverse("patients:patient_test_reminder", args=[record.pk]), follow=True
        )

    delivery = Delivery.objects.get()
    assert (delivery.kind, delivery.channel, delivery.status) == ("test", "email", "pending")
    assert len(callbacks) == 1  # send_reminder.delay after commit
    assert response.redirect_chain[-1][0] == record.get_absolute_url() + "#deliveries"
    assert "A test reminder was queued." in response.text
    assert 'data-status="pending"' in response.text


def test_no_test_reminder_without_an_email_or_a_mobile_number(client, clinician):
    patient = PatientFactory(clinician=clinician, user__email="", phone="")
    client.force_login(clinician)

    response = client.post(
        reverse("patients:patient_test_reminder", args=[patient.pk]), follow=True
    )

    assert not Delivery.objects.exists()
    assert "Add an email address or a mobile number" in response.text


def test_the_test_reminder_only_takes_a_post(client, clinician, record):
    client.force_login(clinician)

    response = client.get(reverse("patients:patient_test_reminder", args=[record.pk]))

    assert response.status_code == 405
    assert not Delivery.objects.exists()


def test_notes_are_shown_escaped(client, clinician, record, program):
    PainLogFactory(patient=record, assignment=program, note="<script>alert(1)</script>")
    client.force_login(clinician)

    text = client.get(story_url(record)).text

    assert "<script>alert(1)</script>" not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text


def test_the_notes_say_when_the_pain_was_in_words(client, clinician, record, program):
    PainLogFactory(patient=record, score=3, timing="during_activity", note="After the walk.")
    PainLogFactory(patient=record, score=2, recorded_for=moment(days_ago(2)))  # no timing
    client.force_login(clinician)

    text = client.get(story_url(record)).text
    notes = text[text.index('id="pain-logs"') :]

    assert (
        '<td> <span class="small text-body-secondary">during activity</span></td>'
        "\n          <td>After the walk.</td>" in notes
    )
    assert notes.count('text-body-secondary">during activity') == 1


def story_data(record, program, logs: int) -> None:
    """``logs`` pain logs, exercise logs and deliveries, and three alerts."""
    items = [ItemFactory(assignment=program, times_per_day=2) for _ in range(3)]
    schedule = program.reminder_schedules.get()
    for n in range(logs):
        # n = 6 x day + 3 x (session - 1) + item: every (item, day, session) once.
        day, session, item = days_ago(n // 6), 1 + (n // 3) % 2, items[n % 3]
        PainLogFactory(
            patient=record,
            assignment=program,
            score=n % 11,
            recorded_for=moment(day, 6 + n % 12),
            note=f"note {n}",
        )
        ExerciseLogFactory(
            item=item, performed_on=day, session=session, difficulty="too_hard" if n % 4 else ""
        )
        DeliveryFactory(patient=record, schedule=schedule)
    AlertFactory.create_batch(2, patient=record)
    AlertFactory(patient=record, acknowledged_at=NOW, acknowledgement_note="Seen.")


def test_the_story_runs_the_same_number_of_queries_for_5_and_200_logs(
    client, clinician, record, program, django_assert_num_queries
):
    other = AssignmentFactory(patient=PatientFactory(clinician=clinician), starts_on=days_ago(20))
    ReminderSchedule.objects.create(assignment=other, local_time=datetime.time(9, 0))
    client.force_login(clinician)
    client.get(story_url(record))
    story_data(record, program, 5)
    with CaptureQueriesContext(connection) as five:
        assert client.get(story_url(record)).status_code == 200

    # Session, user; the patient; programs, their items, schedules; alerts; pain logs;
    # deliveries; the summary's figures; skipped sessions; the chart's pain and sessions;
    # the map's marks; invitations; outcome answers; suggestions; the audit entry.
    assert len(five.captured_queries) == 18
    story_data(other.patient, other, 200)
    with django_assert_num_queries(len(five.captured_queries)):
        response = client.get(story_url(other.patient))
    assert len(response.context["story"].deliveries) == 20
    assert len(response.context["story"].recent_pain) == 20


def test_the_patient_story_service_uses_the_dashboard_figures(record, program):
    item = ItemFactory(assignment=program, times_per_day=1)
    for n in range(1, 8):
        ExerciseLogFactory(item=item, performed_on=days_ago(n))

    story = story_services.patient_story(patient=record, today=TODAY)

    assert (story.row.sessions_logged, story.row.sessions_prescribed) == (7, 7)
    assert story.row.adherence_percent == 100


def summary_scenario(record, program, scenario: str) -> None:
    """Patient data that exercises each figure of the story's summary row."""
    if scenario == "nothing":
        program.delete()
        return
    item = ItemFactory(assignment=program, times_per_day=2)
    for n in range(1, 9):
        ExerciseLogFactory(item=item, performed_on=days_ago(n), session=1 + n % 2)
    ExerciseLogFactory(item=item, performed_on=TODAY)
    ExerciseLogFactory(item=item, performed_on=days_ago(2), session=2, status="skipped")
    if scenario == "figures":
        calf = BodyRegionFactory(name="Back of calf", lateral=True)
        pain_logs(program, [6, 7, 8, 3], first=days_ago(9))
        PainLogFactory(patient=record, score=4, recorded_for=moment(days_ago(2), 7))
        # In the week's pain window in UTC and Auckland, not in Los Angeles.
        PainLogFactory(patient=record, score=9, recorded_for=moment(days_ago(6), 2))
        PainLogFactory(
            patient=record, region=calf, side="left", score=2, recorded_for=moment(TODAY, 8)
        )
        AlertFactory(patient=record, kind="too_hard", severity=10)
        AlertFactory(patient=record, kind="pain_rising", severity=20)
        AlertFactory(patient=record, kind="too_hard", severity=20, dedupe_key="other")
        AlertFactory(patient=record, kind="no_activity", severity=20)
        AlertFactory(patient=record, kind="red_flag", acknowledged_at=NOW)
    elif scenario == "programs":
        # Started today (days so far), an ended one and one starting later.
        program.starts_on = TODAY
        program.save()
        AssignmentFactory(patient=record, starts_on=days_ago(30), status="ended")
        AssignmentFactory(patient=record, starts_on=TODAY + datetime.timedelta(days=3))
        PainLogFactory(patient=record, region_other="lower back", recorded_for=moment(TODAY, 7))
        AlertFactory(patient=record)
    elif scenario == "later":
        program.starts_on = TODAY + datetime.timedelta(days=2)
        program.save()


@pytest.mark.parametrize("scenario", ["nothing", "figures", "programs", "later"])
@pytest.mark.parametrize("zone", ["UTC", "America/Los_Angeles", "Pacific/Auckland"])
def test_the_story_summary_is_the_dashboard_row(record, program, scenario, zone):
    """The story builds its summary from what it reads anyway (programs, open alerts, pain
    logs) and one query compiled once per day and zone: it must be the dashboard's row, in
    any active time zone (the week's pain window starts at its midnight)."""
    summary_scenario(record, program, scenario)
    with timezone.override(zone):
        for today in (TODAY, TODAY + datetime.timedelta(days=1)):
            story = story_services.patient_story(patient=record, today=today)
            [row] = dashboard.dashboard_rows(patient_ids=[record.pk], today=today)
            assert story.row == row
            assert story.row.baseline == row.baseline
            assert story.row.adherence_percent == row.adherence_percent
    if scenario == "figures":
        assert row.sessions_logged and row.pain_average is not None and row.change
        assert row.last_pain_where == "Back of calf, left"
        assert [kind for kind, _label in row.alert_kinds] == [
            "no_activity",
            "pain_rising",
            "too_hard",
        ]
        assert (row.open_alerts, row.done_yesterday) == (4, 1)  # the last day: tomorrow


def test_the_queries_kept_built_between_pages_hold_no_patient_data(client, clinician, program):
    """The story keeps some querysets built per process (building them costs more than
    running them): they must never be evaluated or point at a patient's rows."""
    ItemFactory(assignment=program)
    client.force_login(clinician)
    for patient in (program.patient, AssignmentFactory(patient__clinician=clinician).patient):
        assert client.get(story_url(patient)).status_code == 200

    kept = [
        story_services._items_with_feedback(),
        story_services._programs_query(TODAY),
    ]
    for queryset in kept:
        assert queryset._result_cache is None
        assert queryset._hints == {}
        assert queryset._prefetch_related_lookups == ()


def test_the_labels_the_story_sets_are_the_models_own_words(record, program):
    """Each choice is translated once per page (``kind_label``...), not once per row: the
    words must be ``get_<field>_display()``'s, for every choice."""
    schedule = program.reminder_schedules.get()
    ReminderSchedule.objects.create(
        assignment=program, kind="pain", channel="sms", local_time=datetime.time(20, 0)
    )
    for change in ["", "harder", "easier", "updated"]:
        ItemFactory(assignment=program, change=change)
    for hour, timing in enumerate(["", *PainLog.Timing.values]):
        PainLogFactory(patient=record, timing=timing, recorded_for=moment(TODAY, hour))
    for status in Delivery.Status.values:
        for kind in Delivery.Kind.values:
            DeliveryFactory(patient=record, schedule=schedule, status=status, kind=kind)
    for n, kind in enumerate(Alert.Kind.values):
        for severity in Alert.Severity.values:
            AlertFactory(patient=record, kind=kind, severity=severity, dedupe_key=f"{n} {severity}")
            AlertFactory(
                patient=record,
                kind=kind,
                severity=severity,
                dedupe_key=f"done {n} {severity}",
                acknowledged_at=NOW,
            )

    story = story_services.patient_story(patient=record, today=TODAY)

    labelled = [
        *[(alert, ["kind", "severity"]) for alert in story.open_alerts],
        *[(alert, ["kind", "severity"]) for alert in story.acknowledged_alerts],
        *[(delivery, ["kind", "channel", "status"]) for delivery in story.deliveries],
        *[(s, ["kind", "channel"]) for s in story.assignments[0].reminder_schedules.all()],
        *[(feedback.item, ["change"]) for feedback in story.assignments[0].feedback],
        *[(log, ["timing"]) for log in story.recent_pain],
    ]
    assert len(labelled) == 15 + 15 + 20 + 2 + 4 + 6
    for row, fields in labelled:
        for field in fields:
            assert getattr(row, f"{field}_label") == getattr(row, f"get_{field}_display")()
    assert {d.status_label for d in story.deliveries} == {
        "Pending",
        "Sending",
        "Sent",
        "Failed",
        "Skipped",
    }


def test_the_story_reads_open_and_acknowledged_alerts_in_their_orders(record, program):
    """One query for both lists: the same alerts, in the same order, as one query each."""
    for n in range(story_services.ACKNOWLEDGED_ALERTS_SHOWN + 3):
        AlertFactory(
            patient=record,
            kind="too_hard",
            dedupe_key=f"done {n}",
            acknowledged_at=NOW - datetime.timedelta(hours=n % 7),
        )
    for severity, hours in [(10, 1), (30, 2), (20, 1), (20, 3), (10, 1)]:
        alert = AlertFactory(
            patient=record,
            kind="no_activity",
            severity=severity,
            dedupe_key=f"open {severity} {hours} {Alert.objects.count()}",
        )
        Alert.objects.filter(pk=alert.pk).update(created_at=NOW - datetime.timedelta(hours=hours))
    AlertFactory(patient=AlertFactory().patient, acknowledged_at=NOW)  # someone else's

    story = story_services.patient_story(patient=record, today=TODAY)

    alerts = record.alerts.all()
    assert story.open_alerts == list(
        alerts.filter(acknowledged_at__isnull=True).order_by("-severity", "-created_at", "-id")
    )
    assert story.acknowledged_alerts == list(
        alerts.filter(acknowledged_at__isnull=False).order_by("-acknowledged_at", "-id")[
            : story_services.ACKNOWLEDGED_ALERTS_SHOWN
        ]
    )
    assert len(story.open_alerts) == 5


@pytest.mark.parametrize("name", ["patient_detail", "patient_test_reminder"])
def test_another_clinician_gets_404_a_patient_403_and_a_visitor_the_login(
    client, other_clinician, record, name
):
    url = reverse(f"patients:{name}", args=[record.pk])
    for method in ("get", "post"):
        response = getattr(client, method)(url)
        assert response.status_code == 302
        assert response.url.startswith(reverse("login"))
    client.force_login(record.user)
    assert client.get(url).status_code == 403
    assert client.post(url).status_code == 403
    client.force_login(other_clinician)
    assert client.get(url).status_code == 404
    assert client.post(url).status_code == 404
    assert not Delivery.objects.exists()
