"""`manage.py seed_demo`: demo accounts, programs and patients; running it twice is harmless."""

import datetime
from io import StringIO

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command

from patients.models import Assignment, AssignmentItem, Patient, ReminderSchedule
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
]


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
    assert [s.local_time for s in assignment.reminder_schedules.all()] == [
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
    assert ReminderSchedule.objects.count() == 100
    starter_items = Program.objects.filter(is_template=False).first().items.count()
    assert AssignmentItem.objects.count() == 50 * starter_items
    assert authenticate(username="demo.c2.patient25", password="demo-password-123")


def test_a_demo_clinician_sees_their_patients_in_the_clinic(client):
    _seed()
    client.force_login(User.objects.get(username="demo.clinician"))
    response = client.get("/clinic/")
    assert response.status_code == 200
    assert response.text.count("Gastrocnemius starter") == 3
