"""The clinician's dashboard (/clinic/): adherence, baseline and clinically important change,
last activity, alerts; sorted by attention, filtered, searched, paginated, scoped.

Dated data and its factories: tests/patients/dated.py.
"""

import datetime

import pytest
import time_machine
from django.contrib.auth.hashers import make_password
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from patients.models import (
    Alert,
    Assignment,
    AssignmentItem,
    ExerciseLog,
    PainLog,
    Patient,
)
from patients.services import dashboard
from patients.services import logs as log_services
from patients.services.attention import attention_refresh
from programs import weekdays
from tests.factories import AssignmentFactory, PatientFactory
from tests.patients.dated import (
    NOW,
    TODAY,
    AlertFactory,
    ExerciseLogFactory,
    ItemFactory,
    PainLogFactory,
    days_ago,
    moment,
    pain_logs,
)
from users.models import User

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def frozen_time():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def record(clinician):
    return PatientFactory(
        clinician=clinician, user__first_name="Pat", user__last_name="Jones", time_zone="UTC"
    )


@pytest.fixture
def assignment(record):
    return AssignmentFactory(patient=record, starts_on=days_ago(60))


def row_for(patient) -> dashboard.DashboardRow:
    [row] = dashboard.dashboard_rows(patient_ids=[patient.pk], today=TODAY)
    return row


# --- adherence ----------------------------------------------------------------------------


def test_adherence_counts_done_sessions_over_the_seven_days_before_today(record, assignment):
    item = ItemFactory(assignment=assignment, times_per_day=1)
    for n in (1, 2, 3, 5, 7):
        ExerciseLogFactory(item=item, performed_on=days_ago(n))
    ExerciseLogFactory(item=item, performed_on=TODAY)  # today is not over: not counted
    ExerciseLogFactory(item=item, performed_on=days_ago(8))  # before the window

    row = row_for(record)

    assert (row.sessions_logged, row.sessions_prescribed) == (5, 7)
    assert row.adherence_percent == 71


def test_times_per_day_multiply_the_prescribed_sessions(record, assignment):
    item = ItemFactory(assignment=assignment, times_per_day=3)
    for session in (1, 2, 3):
        ExerciseLogFactory(item=item, performed_on=days_ago(1), session=session)
    ExerciseLogFactory(item=item, performed_on=days_ago(2), session=1)

    row = row_for(record)

    assert (row.sessions_logged, row.sessions_prescribed) == (4, 21)


def test_only_the_items_weekdays_are_prescribed(record, assignment):
    # The window is Wed 26 Feb to Tue 4 Mar: Monday, Wednesday and Friday fall on 3 days.
    item = ItemFactory(assignment=assignment, weekdays=weekdays.to_mask([0, 2, 4]), times_per_day=2)
    ExerciseLogFactory(item=item, performed_on=datetime.date(2025, 3, 3))  # Monday
    ExerciseLogFactory(item=item, performed_on=datetime.date(2025, 2, 28))  # Friday

    row = row_for(record)

    assert (row.sessions_logged, row.sessions_prescribed) == (2, 6)


def test_days_before_the_assignment_started_do_not_count(record):
    assignment = AssignmentFactory(patient=record, starts_on=datetime.date(2025, 3, 3))
    item = ItemFactory(assignment=assignment, times_per_day=1)
    ExerciseLogFactory(item=item, performed_on=datetime.date(2025, 3, 3))

    row = row_for(record)

    assert (row.sessions_logged, row.sessions_prescribed) == (1, 2)
    assert row.adherence_percent == 50


def test_days_after_the_assignment_ended_do_not_count(record):
    assignment = AssignmentFactory(
        patient=record, starts_on=days_ago(30), ends_on=datetime.date(2025, 3, 1)
    )
    ItemFactory(assignment=assignment, times_per_day=1)

    assert row_for(record).sessions_prescribed == 4  # 26, 27, 28 Feb and 1 Mar


def test_skipped_sessions_are_logged_but_not_done_so_they_do_not_count(record, assignment):
    item = ItemFactory(assignment=assignment, times_per_day=1)
    ExerciseLogFactory(item=item, performed_on=days_ago(1))
    ExerciseLogFactory(
        item=item,
        performed_on=days_ago(2),
        status=ExerciseLog.Status.SKIPPED,
        skip_reason="Sore.",
    )

    assert row_for(record).sessions_logged == 1


def test_a_paused_program_prescribes_nothing(record, assignment):
    ItemFactory(assignment=assignment)
    Assignment.objects.filter(pk=assignment.pk).update(status=Assignment.Status.PAUSED)

    row = row_for(record)

    assert (row.sessions_prescribed, row.adherence_percent) == (0, None)


def test_adherence_adds_up_every_current_program(record, assignment):
    ItemFactory(assignment=assignment, times_per_day=1)
    other = AssignmentFactory(patient=record, starts_on=days_ago(2))
    ItemFactory(assignment=other, times_per_day=2)

    assert row_for(record).sessions_prescribed == 7 + 2 * 2


def test_adherence_never_passes_100_percent(record, assignment):
    item = ItemFactory(assignment=assignment, times_per_day=1, weekdays=weekdays.to_mask([0]))
    # A session beyond times per day and one on a day the item was not due (the dosage
    # changed after they were logged) are not counted.
    ExerciseLogFactory(item=item, performed_on=datetime.date(2025, 3, 3), session=1)
    ExerciseLogFactory(item=item, performed_on=datetime.date(2025, 3, 3), session=2)
    ExerciseLogFactory(item=item, performed_on=datetime.date(2025, 3, 4))

    row = row_for(record)

    assert (row.sessions_logged, row.sessions_prescribed) == (1, 1)


# --- baseline and clinically important change ----------------------------------------------


def test_there_is_no_baseline_before_the_third_pain_log(record, assignment):
    pain_logs(assignment, [6, 4], first=days_ago(20))

    row = row_for(record)

    assert row.baseline is None
    assert row.change is None


def test_the_baseline_is_the_mean_of_the_programs_first_three_pain_logs(record, assignment):
    pain_logs(assignment, [6, 5, 7, 1, 1], first=days_ago(20))
    # Another program's logs and logs outside any program are not part of it.
    other = AssignmentFactory(patient=record, starts_on=days_ago(90), ends_on=days_ago(61))
    pain_logs(other, [0, 0, 0], first=days_ago(90))
    PainLogFactory(patient=record, score=0, recorded_for=moment(days_ago(30)))

    assert row_for(record).baseline == pytest.approx(6.0)


def test_a_late_log_for_an_earlier_time_joins_the_baseline(record, assignment):
    pain_logs(assignment, [6, 6, 6, 2], first=days_ago(20))
    # Added later, for a day before the others: it is now one of the first three.
    PainLogFactory(
        patient=record,
        assignment=assignment,
        score=0,
        recorded_for=moment(days_ago(21)),
        is_late=True,
    )

    assert row_for(record).baseline == pytest.approx(4.0)


def test_undoing_one_of_the_first_three_logs_brings_in_the_next(record, assignment):
    logs = pain_logs(assignment, [6, 6, 6, 3], first=days_ago(20))
    logs[0].delete()

    assert row_for(record).baseline == pytest.approx(5.0)


@pytest.mark.parametrize(
    ("baseline", "current", "important", "direction"),
    [
        (6.0, 4.0, True, "better"),  # exactly 2 points down (33%)
        (6.0, 8.0, True, "worse"),  # exactly 2 points up
        (9.0, 7.2, False, "better"),  # 1.8 points, 20%
        (5.0, 3.5, True, "better"),  # 1.5 points, exactly 30%
        (5.0, 6.5, True, "worse"),  # 1.5 points, exactly 30% up
        (5.0, 6.45, False, "worse"),  # 29%
        (6.666667, 4.666667, True, "better"),  # 2 points, whatever the float error
        (0.0, 1.0, False, "worse"),  # no percentage from a baseline of 0
        (0.0, 2.0, True, "worse"),
        (4.0, 4.0, False, None),
    ],
)
def test_a_change_is_clinically_important_at_2_points_or_30_percent_either_way(
    baseline, current, important, direction
):
    change = dashboard.pain_change(baseline=baseline, current=current)

    assert change.important is important
    seen = "worse" if change.worsening else "better" if change.improving else None
    assert seen == direction


def test_no_change_without_a_current_average_or_a_baseline():
    assert dashboard.pain_change(baseline=None, current=5) is None
    assert dashboard.pain_change(baseline=5, current=None) is None


def test_the_change_compares_the_7_day_average_with_the_baseline(record, assignment):
    pain_logs(assignment, [4, 4, 4], first=days_ago(30))
    pain_logs(assignment, [9], first=days_ago(7))  # 7 days ago: outside the window
    pain_logs(assignment, [6, 7], first=days_ago(6))

    row = row_for(record)

    assert row.pain_average == pytest.approx(6.5)
    assert row.change.points == pytest.approx(2.5)
    assert row.change.important and row.change.worsening
    assert (row.last_pain_score, row.last_pain_at) == (7, moment(days_ago(5)))


def test_the_dashboard_marks_worsening_and_improving_differently(client, clinician):
    worse = AssignmentFactory(patient=PatientFactory(clinician=clinician), starts_on=days_ago(30))
    pain_logs(worse, [3, 3, 3], first=days_ago(30))
    pain_logs(worse, [6], first=days_ago(1))
    better = AssignmentFactory(patient=PatientFactory(clinician=clinician), starts_on=days_ago(30))
    pain_logs(better, [7, 7, 7], first=days_ago(30))
    pain_logs(better, [3], first=days_ago(1))
    steady = AssignmentFactory(patient=PatientFactory(clinician=clinician), starts_on=days_ago(30))
    pain_logs(steady, [5, 5, 5], first=days_ago(30))
    pain_logs(steady, [6], first=days_ago(1))
    client.force_login(clinician)

    page = client.get(reverse("patients:clinic")).text

    assert page.count('data-important="worse"') == 1
    assert page.count('data-important="better"') == 1
    assert "▲" in page and "▼" in page
    assert "+3.0 (+100%)" in page
    assert "−4.0 (−57%)" in page
    assert "+1.0 (+20%)" in page


# --- last activity and the dashboard's figures ----------------------------------------------


def test_last_activity_is_the_latest_exercise_or_pain_log(record, assignment):
    item = ItemFactory(assignment=assignment)
    ExerciseLogFactory(item=item, performed_on=days_ago(4), status="skipped", skip_reason="Tired.")
    PainLogFactory(patient=record, recorded_for=moment(days_ago(6)))

    row = row_for(record)

    assert (row.last_activity_on, row.days_inactive, row.inactive) == (days_ago(4), 4, True)
    PainLogFactory(patient=record, recorded_for=moment(TODAY, 8))
    assert row_for(record).days_inactive == 0


def test_a_row_counts_open_alerts_and_their_highest_severity(record):
    AlertFactory(patient=record, kind=Alert.Kind.NO_ACTIVITY, dedupe_key="patient")
    AlertFactory(patient=record, kind=Alert.Kind.PAIN_RISING, dedupe_key="a")
    AlertFactory(patient=record, kind=Alert.Kind.RED_FLAG, acknowledged_at=NOW)

    row = row_for(record)

    assert (row.open_alerts, row.top_severity) == (2, Alert.Severity.HIGH)
    assert [kind for kind, _label in row.alert_kinds] == ["pain_rising", "no_activity"]


def test_the_dashboard_shows_each_column(client, clinician, record, assignment):
    item = ItemFactory(assignment=assignment, times_per_day=1)
    for n in range(1, 5):
        ExerciseLogFactory(item=item, performed_on=days_ago(n))
    pain_logs(assignment, [6, 6, 6], first=days_ago(20))
    PainLogFactory(patient=record, score=4, recorded_for=moment(days_ago(1)))
    AlertFactory(patient=record, kind=Alert.Kind.PAIN_RISING, dedupe_key="a")
    client.force_login(clinician)

    response = client.get(reverse("patients:clinic"))

    text = response.text
    for expected in [
        "Pat Jones",
        assignment.title,
        "self-reported",
        "57%",
        "4 of 7",
        "<strong>4</strong>/10",
        "4 Mar",
        "4.0",
        "−2.0 (−33%)",
        "baseline 6.0",
        "yesterday",
        "High",
        "1 open alert",
        "Pain rising",
    ]:
        assert expected in text, expected


# --- sorting, filters, search, pagination ------------------------------------------------


def names(response) -> list[str]:
    return [row.patient.name for row in response.context["rows"]]


def active_on(patient, day):
    assignment = AssignmentFactory(patient=patient, starts_on=days_ago(60))
    PainLogFactory(patient=patient, assignment=assignment, recorded_for=moment(day))
    return assignment


def test_patients_are_sorted_by_who_needs_attention_first(client, clinician):
    def patient(name, **kwargs):
        first, last = name.split()
        return PatientFactory(
            clinician=clinician, user__first_name=first, user__last_name=last, **kwargs
        )

    fine_b = patient("Bo Fine")
    fine_a = patient("Al Fine")
    for fine in (fine_a, fine_b):
        active_on(fine, days_ago(1))
    quiet = patient("Quinn Quiet")
    active_on(quiet, days_ago(10))
    quieter = patient("Val Quieter")
    active_on(quieter, days_ago(20))
    rising = patient("Rita Rising")
    active_on(rising, TODAY)
    AlertFactory(patient=rising, kind=Alert.Kind.PAIN_RISING, dedupe_key="x")
    flagged = patient("Fred Flag")
    active_on(flagged, TODAY)
    AlertFactory(patient=flagged)
    flagged_twice = patient("Tess Twice")
    active_on(flagged_twice, TODAY)
    AlertFactory.create_batch(2, patient=flagged_twice)
    ending = patient("Ed Ending")
    active_on(ending, days_ago(2))
    AlertFactory(patient=ending, kind=Alert.Kind.PROGRAM_ENDING, dedupe_key="y")
    acknowledged = patient("Ann Acked")
    active_on(acknowledged, TODAY)
    AlertFactory(patient=acknowledged, acknowledged_at=NOW)
    client.force_login(clinician)

    response = client.get(reverse("patients:clinic"))

    assert names(response) == [
        "Tess Twice",  # two open red flags
        "Fred Flag",  # one open red flag
        "Rita Rising",  # high
        "Ed Ending",  # normal
        "Val Quieter",  # then the longest without activity
        "Quinn Quiet",
        "Bo Fine",  # then the order they were added (the kept order's index, issue 18)
        "Al Fine",
        "Ann Acked",  # an acknowledged alert no longer counts; active today
    ]


def test_a_patient_never_active_counts_as_inactive_since_they_were_added(client, clinician):
    with time_machine.travel(NOW - datetime.timedelta(days=30), tick=False):
        old = PatientFactory(clinician=clinician, user__first_name="Olga")
    new = PatientFactory(clinician=clinician, user__first_name="Nina")
    active_on(PatientFactory(clinician=clinician, user__first_name="Abe"), days_ago(5))
    client.force_login(clinician)

    order = [row.patient for row in client.get(reverse("patients:clinic")).context["rows"]]

    assert order[0] == old
    assert order[-1] == new
    assert "nothing logged yet" in client.get(reverse("patients:clinic")).text


@pytest.fixture
def filtered(clinician):
    with_alert = PatientFactory(
        clinician=clinician, user__first_name="Alerted", user__last_name="Doe"
    )
    active_on(with_alert, TODAY)
    AlertFactory(patient=with_alert, kind=Alert.Kind.TOO_HARD, dedupe_key="item:1")
    inactive = PatientFactory(
        clinician=clinician, user__first_name="Inactive", user__last_name="Doe"
    )
    active_on(inactive, days_ago(3))
    almost = PatientFactory(clinician=clinician, user__first_name="Recent", user__last_name="Doe")
    active_on(almost, days_ago(2))
    for name, days_left in [("Ending", 7), ("Later", 8)]:
        patient = PatientFactory(clinician=clinician, user__first_name=name, user__last_name="Doe")
        program = active_on(patient, TODAY)
        program.ends_on = TODAY + datetime.timedelta(days=days_left)
        program.save()
    later = Patient.objects.get(user__first_name="Later")
    AlertFactory(patient=later, kind=Alert.Kind.TOO_HARD, acknowledged_at=NOW)


@pytest.mark.parametrize(
    ("show", "expected"),
    [
        ("alerts", ["Alerted"]),
        ("inactive", ["Inactive"]),
        ("ending", ["Ending"]),
        ("", ["Alerted", "Inactive", "Recent", "Ending", "Later"]),
        ("nonsense", ["Alerted", "Inactive", "Recent", "Ending", "Later"]),
    ],
)
def test_the_filters(client, clinician, filtered, show, expected):
    client.force_login(clinician)

    response = client.get(reverse("patients:clinic"), {"show": show})

    assert response.status_code == 200
    assert sorted(row.patient.user.first_name for row in response.context["rows"]) == sorted(
        expected
    )


def test_an_empty_filter_says_so(client, clinician):
    PatientFactory(clinician=clinician)
    client.force_login(clinician)

    response = client.get(reverse("patients:clinic"), {"show": "alerts"})

    assert "No patient matches this filter." in response.text


def test_search_by_name_keeps_the_filter(client, clinician, filtered):
    client.force_login(clinician)

    response = client.get(reverse("patients:clinic"), {"q": "ale", "show": "alerts"})
    assert [row.patient.user.first_name for row in response.context["rows"]] == ["Alerted"]
    response = client.get(reverse("patients:clinic"), {"q": "ale", "show": "inactive"})
    assert response.context["rows"] == []
    response = client.get(reverse("patients:clinic"), {"q": "x" * 500})
    assert response.status_code == 200
    assert response.context["query"] == "x" * 100
    # A NUL character is refused (by the form, or earlier by a request guard), never a 500.
    assert client.get(reverse("patients:clinic"), {"q": "a\x00b"}).status_code in (200, 400)


def bulk_patients(clinician, count: int, *, prefix: str = "bulk") -> list[Patient]:
    """``count`` patients with a program, an item, logs and an alert, in a few queries."""
    password = make_password(None)
    users = User.objects.bulk_create(
        User(
            username=f"{prefix}{n}",
            first_name=f"First{n:04d}",
            last_name=f"Last{n:04d}",
            role=User.Role.PATIENT,
            password=password,
        )
        for n in range(count)
    )
    patients = Patient.objects.bulk_create(
        Patient(user=user, clinician=clinician, time_zone="UTC") for user in users
    )
    assignments = Assignment.objects.bulk_create(
        Assignment(patient=p, title="Calf program", starts_on=days_ago(30), assigned_by=clinician)
        for p in patients
    )
    items = AssignmentItem.objects.bulk_create(
        AssignmentItem(assignment=a, name="Calf stretch", instructions="Stretch.", sets=3)
        for a in assignments
    )
    ExerciseLog.objects.bulk_create(
        ExerciseLog(
            patient_id=item.assignment.patient_id,
            assignment=item.assignment,
            item=item,
            performed_on=days_ago(n),
            status="done",
        )
        for item in items
        for n in (1, 2)
    )
    PainLog.objects.bulk_create(
        PainLog(
            patient_id=a.patient_id,
            assignment=a,
            score=5,
            recorded_for=moment(days_ago(n)),
        )
        for a in assignments
        for n in (1, 2, 3, 4)
    )
    Alert.objects.bulk_create(
        Alert(patient=p, kind="no_activity", severity=10, message="x", dedupe_key="patient")
        for p in patients[::3]
    )
    # Written in bulk, past the services: the dashboard's kept order, as seed_demo does.
    attention_refresh(patient_ids=[p.pk for p in patients])
    return patients


def test_the_dashboard_runs_the_same_number_of_queries_for_5_and_500_patients(
    client, clinician, django_assert_num_queries
):
    client.force_login(clinician)
    url = reverse("patients:clinic")
    bulk_patients(clinician, 5, prefix="few")
    # Session and user lookups settle, and the audit's content type is cached (as after
    # any earlier page in a running server), so only per-request queries are counted.
    client.get(url)
    with CaptureQueriesContext(connection) as five:
        response = client.get(url)
    assert len(response.context["rows"]) == 5

    bulk_patients(clinician, 495, prefix="many")
    with django_assert_num_queries(len(five.captured_queries)):
        response = client.get(url, {"page": 2})
    assert len(response.context["rows"]) == 50
    assert response.context["page"].paginator.count == 500
    with django_assert_num_queries(len(five.captured_queries)):
        client.get(url, {"show": "alerts", "q": "First"})


def test_the_dashboard_pages_50_patients_at_a_time(client, clinician):
    bulk_patients(clinician, 51)
    client.force_login(clinician)
    url = reverse("patients:clinic")

    first = client.get(url)
    second = client.get(url, {"page": 2})
    past_the_end = client.get(url, {"page": 99})
    nonsense = client.get(url, {"page": "<script>"})

    assert len(first.context["rows"]) == 50
    assert "Page 1 of 2" in first.text
    assert "?page=2" in first.text
    assert len(second.context["rows"]) == 1
    assert len(past_the_end.context["rows"]) == 1
    assert nonsense.status_code == 200 and len(nonsense.context["rows"]) == 50
    shown = {row.patient.pk for row in first.context["rows"] + second.context["rows"]}
    assert len(shown) == 51


def test_pagination_links_keep_the_search_and_filter(client, clinician):
    bulk_patients(clinician, 60)
    client.force_login(clinician)

    response = client.get(reverse("patients:clinic"), {"q": "First", "show": "inactive"})

    # Every bulk patient was active yesterday: none is inactive.
    assert response.context["rows"] == []
    response = client.get(reverse("patients:clinic"), {"q": "First"})
    assert "?q=First&amp;page=2" in response.text


# --- who may see it ----------------------------------------------------------------------


def test_only_my_own_patients_are_on_my_dashboard(client, clinician, other_clinician):
    mine = PatientFactory(clinician=clinician, user__first_name="Mine")
    theirs = PatientFactory(clinician=other_clinician, user__first_name="Theirs")
    AlertFactory(patient=theirs)
    AlertFactory(patient=mine, kind=Alert.Kind.TOO_HARD, dedupe_key="item:1")
    client.force_login(clinician)

    response = client.get(reverse("patients:clinic"), {"show": "alerts"})

    assert [row.patient for row in response.context["rows"]] == [mine]
    assert "Theirs" not in response.text


def test_a_patient_gets_403_and_an_anonymous_visitor_is_sent_to_login(client, record):
    url = reverse("patients:clinic")
    response = client.get(url)
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))
    client.force_login(record.user)
    assert client.get(url).status_code == 403


def test_names_and_program_titles_are_escaped(client, clinician):
    hostile = "<img src=x onerror=alert(1)>"
    patient = PatientFactory(clinician=clinician, user__first_name=hostile)
    AssignmentFactory(patient=patient, title=hostile, starts_on=days_ago(3))
    client.force_login(clinician)

    text = client.get(reverse("patients:clinic")).text

    assert hostile not in text
    assert "&lt;img src=x onerror=alert(1)&gt;" in text


# --- advice is not exercise -----------------------------------------------------------------


def test_advice_is_never_prescribed_nor_counted_on_the_dashboard(record, assignment):
    item = ItemFactory(assignment=assignment, times_per_day=1)
    advice = ItemFactory(assignment=assignment, times_per_day=2, is_advice=True)
    ExerciseLogFactory(item=item, performed_on=days_ago(1))
    # A log for advice recorded before advice was told apart: still never counted.
    ExerciseLogFactory(item=advice, performed_on=days_ago(1))

    row = row_for(record)

    assert (row.sessions_logged, row.sessions_prescribed) == (1, 7)


def test_the_dashboard_and_the_patients_own_page_count_adherence_alike(record, assignment):
    """Both definitions over the same week (Monday 3 to Sunday 9 March): the dashboard's
    seven days before Monday 10 March and the patient's Monday-to-Sunday figure."""
    monday, sunday = datetime.date(2025, 3, 3), datetime.date(2025, 3, 9)
    item = ItemFactory(assignment=assignment, times_per_day=2)
    weekly = ItemFactory(assignment=assignment, weekdays=weekdays.to_mask([0, 3]))
    advice = ItemFactory(assignment=assignment, times_per_day=3, is_advice=True)
    for offset, session in [(0, 1), (0, 2), (1, 1), (4, 1), (6, 2)]:
        ExerciseLogFactory(
            item=item, performed_on=monday + datetime.timedelta(days=offset), session=session
        )
    ExerciseLogFactory(item=weekly, performed_on=monday)
    ExerciseLogFactory(item=weekly, performed_on=monday + datetime.timedelta(days=1))  # not due
    ExerciseLogFactory(item=advice, performed_on=monday + datetime.timedelta(days=2))

    [row] = dashboard.dashboard_rows(patient_ids=[record.pk], today=sunday + datetime.timedelta(1))
    patient_figure = log_services.week_adherence(patient=record, day=sunday)

    assert (row.sessions_logged, row.sessions_prescribed) == patient_figure == (6, 16)
