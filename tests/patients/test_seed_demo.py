"""`manage.py seed_demo`: demo accounts, programs and patients; running it twice is harmless."""

import datetime
import random
import statistics
import zoneinfo
from io import StringIO

import pytest
import time_machine
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.db.models import Count, Q

from patients.management.commands.seed_demo import DemoDays, Profile
from patients.models import (
    Alert,
    Assignment,
    AssignmentItem,
    ExerciseLog,
    PainLog,
    Patient,
    ReminderSchedule,
)
from patients.services import dashboard
from programs.models import Program, ProgramItem
from users.models import Practice, User

pytestmark = pytest.mark.django_db

MODELS = [
    User,
    Practice,
    Program,
    ProgramItem,
    Patient,
    Assignment,
    AssignmentItem,
    ReminderSchedule,
    ExerciseLog,
    PainLog,
    Alert,
]
# Thursday 6 March 2025, 10:00 in London: the 90 days run from 6 Dec to 5 Mar.
NOW = datetime.datetime(2025, 3, 6, 10, 0, tzinfo=datetime.UTC)
YESTERDAY = datetime.date(2025, 3, 5)


@pytest.fixture(autouse=True)
def frozen_time():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def _seed(*args) -> str:
    out = StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


def _counts() -> dict:
    return {model.__name__: model.objects.count() for model in MODELS}


def test_it_creates_the_demo_accounts_programs_and_patients():
    output = _seed()
    clinician = User.objects.get(username="demo.clinician")
    second = User.objects.get(username="demo.clinician2")
    assert clinician.role == second.role == User.Role.CLINICIAN
    assert clinician.practice == second.practice
    assert clinician.practice.name == "Demo practice"
    editor = User.objects.get(username="demo.editor")
    assert (editor.role, editor.is_staff, editor.is_superuser) == ("editor", True, False)
    admin = User.objects.get(username="demo.admin")
    assert (admin.role, admin.is_staff, admin.is_superuser) == ("admin", True, True)
    for username in ["demo.clinician", "demo.clinician2", "demo.editor", "demo.admin"]:
        assert authenticate(username=username, password="demo-password-123") is not None

    patient = Patient.objects.get(user__username="demo.patient")
    assert patient.clinician == clinician
    assert authenticate(username="demo.patient", password="demo-password-123") == patient.user
    assert Patient.objects.filter(clinician=clinician).count() == 3
    assert Patient.objects.filter(clinician=second).count() == 3

    for owner in [clinician, second]:
        starter = Program.objects.get(owner=owner, is_template=False)
        assert starter.title == "Gastrocnemius starter"
        assert starter.items.exists()
        assert Program.objects.filter(owner=owner, is_template=True, based_on=starter).exists()

    assignment = Assignment.objects.get(patient=patient)
    assert assignment.program.owner == clinician
    assert assignment.status == Assignment.Status.ACTIVE
    assert assignment.starts_on == patient.local_today() - datetime.timedelta(days=90)
    assert assignment.items.count() == assignment.program.items.count()
    # The exercise reminders (the questionnaire's is in test_seed_demo_outcomes.py).
    assert [s.local_time for s in assignment.reminder_schedules.exclude(kind="outcome")] == [
        datetime.time(8, 0),
        datetime.time(18, 0),
    ]
    assert Assignment.objects.count() == 6

    assert "demo-password-123" in output
    for username in [
        "demo.clinician",
        "demo.clinician2",
        "demo.patient",
        "demo.editor",
        "demo.admin",
    ]:
        assert username in output
    assert "Development demo accounts" in output


def test_running_it_twice_creates_nothing_new():
    _seed()
    before = _counts()
    output = _seed()
    assert _counts() == before
    assert "nothing new was created" in output
    assert "demo.patient" in output


def test_it_adds_only_the_missing_patients_when_asked_for_more():
    _seed("--patients", "2")
    # One run hashes the demo password once and every account shares that hash.
    assert User.objects.values("password").distinct().count() == 1
    _seed("--patients", "25")
    assert Patient.objects.count() == 50
    assert Assignment.objects.count() == 50
    assert ReminderSchedule.objects.exclude(kind="outcome").count() == 100
    starter_items = Program.objects.filter(is_template=False).first().items.count()
    assert AssignmentItem.objects.count() == 50 * starter_items
    assert authenticate(username="demo.c2.patient25", password="demo-password-123")


def test_a_demo_clinician_sees_their_patients_in_the_clinic(client):
    _seed()
    client.force_login(User.objects.get(username="demo.clinician"))
    response = client.get("/clinic/")
    assert response.status_code == 200
    assert response.text.count("Gastrocnemius starter") == 3


# --- the 90 days of logs ----------------------------------------------------------------------


def test_each_demo_patient_has_90_days_of_logs_up_to_yesterday():
    _seed()
    patient = Patient.objects.get(user__username="demo.patient")
    assignment = patient.assignments.get()
    logs = ExerciseLog.objects.filter(patient=patient)
    pain = PainLog.objects.filter(patient=patient)

    assert logs.exists() and pain.exists()
    assert logs.earliest("performed_on").performed_on <= assignment.starts_on + datetime.timedelta(
        days=3
    )
    assert logs.latest("performed_on").performed_on <= YESTERDAY
    assert set(logs.values_list("assignment", flat=True)) == {assignment.pk}
    assert set(pain.values_list("assignment", flat=True)) == {assignment.pk}
    # Stored in UTC, at sensible local times.
    zone = zoneinfo.ZoneInfo("Europe/London")
    assert {p.recorded_for.astimezone(zone).hour for p in pain} <= {8, 9}


def test_pain_trends_down_from_about_6_to_about_3():
    _seed()
    pain = list(
        PainLog.objects.filter(patient__user__username="demo.patient").order_by("recorded_for")
    )
    first = statistics.mean(p.score for p in pain[:7])
    last = statistics.mean(p.score for p in pain[-7:])

    assert 5 <= first <= 7
    assert 2 <= last <= 4
    assert 70 <= len(pain) <= 85  # a few days missed
    assert len({p.score for p in pain}) >= 4  # noise


def test_adherence_is_about_70_percent_with_days_missed_and_some_too_hard():
    _seed("--patients", "5")
    starter_sessions = sum(
        Program.objects.filter(is_template=False)
        .first()
        .items.filter(is_advice=False)
        .values_list("times_per_day", flat=True)
    )
    per_patient = (
        ExerciseLog.objects.filter(status="done")
        .values("patient")
        .annotate(done=Count("id"), days=Count("performed_on", distinct=True))
    )
    ratios = [row["done"] / (90 * starter_sessions) for row in per_patient]

    assert 0.6 <= statistics.mean(ratios) <= 0.8
    assert all(row["days"] < 90 for row in per_patient)  # a few days missed
    assert ExerciseLog.objects.filter(status="skipped").exclude(skip_reason="").exists()
    too_hard = ExerciseLog.objects.filter(difficulty="too_hard").count()
    assert 0 < too_hard < ExerciseLog.objects.count() * 0.05
    assert not ExerciseLog.objects.filter(item__is_advice=True).exists()


def test_one_demo_patient_has_a_red_flag_for_the_dashboard():
    _seed()
    [alert] = Alert.objects.filter(kind=Alert.Kind.RED_FLAG)
    assert alert.patient.user.username == "demo.c1.patient2"
    assert alert.pain_log.calf_swollen_warm_red is True
    assert alert.pain_log.side == "left"  # the back of the calf has a side
    assert alert.acknowledged_at is None
    # The demo patient's exercises are on hold, as after a real red flag.
    assert alert.patient.exercises_on_hold and alert.patient.hold_alert == alert
    assert not ReminderSchedule.objects.filter(
        assignment__patient=alert.patient, kind="exercise", paused=False
    ).exists()
    clinician = User.objects.get(username="demo.clinician")
    rows = dashboard.dashboard_patients(clinician=clinician, today=YESTERDAY)
    assert rows.first() == alert.patient


def test_the_computed_alerts_are_raised_for_the_demo_patients():
    _seed("--patients", "17")
    kinds = set(Alert.objects.values_list("kind", flat=True))
    # Patients 7 and 14 lapsed, 11 flared, 13 struggled, 17 ends this week.
    assert {"red_flag", "no_activity", "pain_rising", "too_hard", "program_ending"} <= kinds
    lapsed = Patient.objects.get(user__username="demo.c1.patient7")
    assert lapsed.alerts.filter(kind="no_activity").exists()
    ending = Assignment.objects.get(patient__user__username="demo.c2.patient17")
    assert ending.ends_on is not None


def test_rerunning_adds_no_logs_and_a_new_patient_gets_theirs():
    _seed("--patients", "2")
    logs = ExerciseLog.objects.count()
    pain = PainLog.objects.count()
    _seed("--patients", "2")
    assert (ExerciseLog.objects.count(), PainLog.objects.count()) == (logs, pain)
    _seed("--patients", "3")
    newcomers = Patient.objects.filter(user__username__endswith=".patient3")
    assert len(newcomers) == 2
    for newcomer in newcomers:
        assert ExerciseLog.objects.filter(patient=newcomer).exists()
    assert ExerciseLog.objects.filter(~Q(patient__in=newcomers)).count() == logs


def _snapshot() -> set[tuple]:
    exercise = set(
        ExerciseLog.objects.values_list(
            "patient__user__username",
            "item__name",
            "performed_on",
            "session",
            "status",
            "difficulty",
            "pain_during",
            "skip_reason",
            "logged_at",
        )
    )
    pain = set(
        PainLog.objects.values_list(
            "patient__user__username", "score", "recorded_for", "note", "calf_swollen_warm_red"
        )
    )
    return exercise | pain


def test_the_logs_are_deterministic():
    _seed()
    before = _snapshot()
    Alert.objects.all().delete()
    ExerciseLog.objects.all().delete()
    PainLog.objects.all().delete()

    _seed()

    assert _snapshot() == before


def test_the_same_seed_draws_the_same_days():
    def rows(seed: str) -> list[tuple]:
        days = DemoDays(
            rng=random.Random(seed),
            profile=Profile(),
            patient_id=1,
            assignment_id=1,
            items=[(1, 2, 127, "stretching"), (2, 1, 127, "posture_footwear")],
            first=datetime.date(2025, 1, 1),
            last=datetime.date(2025, 3, 31),
            zone=zoneinfo.ZoneInfo("Europe/London"),
            region_id=None,
        )
        return [*days.exercise_rows(), *days.pain_rows()]

    assert rows("a") == rows("a")
    assert rows("a") != rows("b")


def test_the_printout_names_every_demo_patient_who_can_sign_in():
    output = _seed()

    for patient in Patient.objects.select_related("user"):
        assert patient.user.username in output
    assert "demo.c2.patient3" in output


def test_a_large_seed_says_how_the_other_patients_are_named_instead_of_listing_them():
    output = _seed("--patients", "11")

    assert "demo.c2.patient11" not in output
    assert "and 21 more patients, demo.c<clinician>.patient<n> (n = 1..11" in output
