"""Shared rows for the security suite: one full set of objects per owner.

``mine`` belongs to ``clinician`` and ``patient_user``; ``theirs`` to ``other_clinician``
and ``other_patient_user``. Each set holds one of every object a URL can name: a program
and its item, a patient record, an assignment with an item and a reminder time, an
exercise log, a pain log, an alert, a pending reminder delivery, an invitation (with the
token that only its message would carry) and a reminder stop link.
"""

from __future__ import annotations

import datetime
import secrets
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone

from patients.models import (
    Alert,
    Assignment,
    AssignmentItem,
    Delivery,
    ExerciseLog,
    Invitation,
    PainLog,
    Patient,
    ReminderSchedule,
)
from patients.reminders import stop_token
from patients.services.invitations import token_hash
from programs.models import OwnExercise, Program, ProgramItem
from tests import factories
from trigger.models import Muscle
from users.models import User


@dataclass
class Side:
    clinician: User
    patient_user: User
    patient: Patient
    program: Program
    program_item: ProgramItem
    assignment: Assignment
    assignment_item: AssignmentItem
    schedule: ReminderSchedule
    exercise_log: ExerciseLog
    pain_log: PainLog
    alert: Alert
    delivery: Delivery
    invitation: Invitation
    invitation_token: str
    stop_token: str
    media_path: str  # a library image's path under MEDIA_ROOT
    own_exercise: OwnExercise


def build_side(clinician: User, patient_user: User, *, muscle: Muscle) -> Side:
    """One owner's objects: the clinician's program assigned to their patient, with logs."""
    patient_user.email = patient_user.email or f"{patient_user.username}@example.org"
    patient_user.save(update_fields=["email"])
    patient = factories.PatientFactory(user=patient_user, clinician=clinician)
    program = factories.ProgramFactory(owner=clinician)
    library_item = factories.ModuleItemFactory(module__muscle=muscle)
    program_item = factories.ProgramItemFactory(program=program, library_item=library_item)
    assignment = factories.AssignmentFactory(
        patient=patient, program=program, starts_on=patient.local_today()
    )
    assignment_item = AssignmentItem.objects.create(
        assignment=assignment, **program_item.copied_fields()
    )
    schedule = ReminderSchedule.objects.create(
        assignment=assignment,
        local_time=datetime.time(8, 0),
        original_local_time=datetime.time(8, 0),
        next_due_at=timezone.now() + datetime.timedelta(hours=1),
    )
    exercise_log = ExerciseLog.objects.create(
        patient=patient,
        assignment=assignment,
        item=assignment_item,
        performed_on=patient.local_today(),
        status=ExerciseLog.Status.DONE,
    )
    pain_log = PainLog.objects.create(
        patient=patient,
        assignment=assignment,
        score=4,
        note="Stiff after the walk",
        recorded_for=timezone.now(),
    )
    alert = Alert.objects.create(
        patient=patient,
        kind=Alert.Kind.PAIN_RISING,
        severity=Alert.Severity.HIGH,
        message="Pain rising",
    )
    delivery = Delivery.objects.create(
        patient=patient,
        schedule=schedule,
        kind=Delivery.Kind.EXERCISE,
        channel=ReminderSchedule.Channel.EMAIL,
        occurrence=timezone.now() + datetime.timedelta(minutes=30),
    )
    token = secrets.token_urlsafe(32)
    invitation = Invitation.objects.create(
        patient=patient,
        token_hash=token_hash(token),
        channel=Invitation.Channel.EMAIL,
        created_by=clinician,
        expires_at=timezone.now() + datetime.timedelta(days=7),
    )
    return Side(
        clinician=clinician,
        patient_user=patient_user,
        patient=patient,
        program=program,
        program_item=program_item,
        assignment=assignment,
        assignment_item=assignment_item,
        schedule=schedule,
        exercise_log=exercise_log,
        pain_log=pain_log,
        alert=alert,
        delivery=delivery,
        invitation=invitation,
        invitation_token=token,
        stop_token=stop_token(patient),
        media_path=_library_image(),
        own_exercise=OwnExercise.objects.create(
            owner=clinician, name="Seated heel raises", instructions="Lift.", source="Handout"
        ),
    )


def _library_image() -> str:
    """A library picture on disk, as the admin stores one (a PNG's first bytes)."""
    path = Path(settings.MEDIA_ROOT) / "library" / "images" / "matrix.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 32)
    return "library/images/matrix.png"


@pytest.fixture
def muscle(db) -> Muscle:
    return factories.MuscleFactory(name="Gastrocnemius", slug="gastrocnemius")


@pytest.fixture
def mine(clinician, patient_user, muscle) -> Side:
    return build_side(clinician, patient_user, muscle=muscle)


@pytest.fixture
def theirs(other_clinician, other_patient_user, muscle) -> Side:
    return build_side(other_clinician, other_patient_user, muscle=muscle)


@pytest.fixture
def own_cache(settings):
    """Rate limits live in the cache: a test that counts failures gets an empty one."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": f"security-{uuid.uuid4()}",
        }
    }


def snapshot(side: Side) -> dict[str, list[dict]]:
    """Every row the owner of ``side`` has, as values: equal snapshots mean nothing of
    theirs changed."""
    patient = side.patient
    users = User.objects.filter(pk__in=[side.clinician.pk, side.patient_user.pk]).order_by("pk")
    # Signing in as the owner moves last_login: not a change of their data.
    user_fields = [f.attname for f in User._meta.concrete_fields if f.name != "last_login"]
    return {
        "users": list(users.values(*user_fields)),
        "programs": list(Program.objects.filter(owner=side.clinician).order_by("pk").values()),
        "program_items": list(
            ProgramItem.objects.filter(program__owner=side.clinician).order_by("pk").values()
        ),
        "patients": list(Patient.objects.filter(clinician=side.clinician).order_by("pk").values()),
        "assignments": list(Assignment.objects.filter(patient=patient).order_by("pk").values()),
        "assignment_items": list(
            AssignmentItem.objects.filter(assignment__patient=patient).order_by("pk").values()
        ),
        "schedules": list(
            ReminderSchedule.objects.filter(assignment__patient=patient).order_by("pk").values()
        ),
        "exercise_logs": list(ExerciseLog.objects.filter(patient=patient).order_by("pk").values()),
        "pain_logs": list(PainLog.objects.filter(patient=patient).order_by("pk").values()),
        "alerts": list(Alert.objects.filter(patient=patient).order_by("pk").values()),
        "deliveries": list(Delivery.objects.filter(patient=patient).order_by("pk").values()),
        "invitations": list(Invitation.objects.filter(patient=patient).order_by("pk").values()),
        "own_exercises": list(
            OwnExercise.objects.filter(owner=side.clinician).order_by("pk").values()
        ),
    }
