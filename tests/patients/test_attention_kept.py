"""The dashboard's attention order is kept on the patient row (patients.services.attention),
and the kept figures always equal the ones computed from the logs and alerts, after every
kind of write the services make: an exercise log, a late one, an undo, a pain log, a red
flag (and the hold it starts), a computed alert raised and cleared, an acknowledgement, an
erasure. Each scenario is a sequence of writes; after every step the kept figures are
compared with a plain-Python reading of the rows, and the dashboard's order with the order
those figures give."""

import datetime
from collections.abc import Callable

import pytest
import time_machine
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from django.utils import timezone

from patients.models import Alert, AssignmentItem, ExerciseLog, PainLog, Patient
from patients.services import alerts, logs, pain, rights
from patients.services.attention import attention_drift
from tests.factories import AssignmentFactory, PatientFactory

pytestmark = pytest.mark.django_db

UTC = datetime.UTC
NOW = datetime.datetime(2025, 3, 5, 12, 0, tzinfo=UTC)  # Wednesday, noon in London
TODAY = datetime.date(2025, 3, 5)
YESTERDAY = TODAY - datetime.timedelta(days=1)


@pytest.fixture(autouse=True)
def frozen_time():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


class World:
    """Three patients of one clinician, each with a daily exercise since 10 days ago."""

    def __init__(self, clinician) -> None:
        self.clinician = clinician
        self.patients: dict[str, Patient] = {}
        self.items: dict[str, AssignmentItem] = {}
        for name in ("ann", "bob", "cy"):
            patient = PatientFactory(
                clinician=clinician, user__first_name=name.title(), time_zone="Europe/London"
            )
            assignment = AssignmentFactory(
                patient=patient, starts_on=TODAY - datetime.timedelta(days=10)
            )
            self.patients[name] = patient
            self.items[name] = AssignmentItem.objects.create(
                assignment=assignment, name="Calf stretch", instructions="Slowly.", times_per_day=2
            )
        self.logged: dict[str, list[ExerciseLog]] = {name: [] for name in self.patients}

    def patient(self, name: str) -> Patient:
        return Patient.objects.get(pk=self.patients[name].pk)


# --- the writes, as the services make them ---------------------------------------------------


def log_today(name: str) -> Callable[[World], None]:
    def step(world: World) -> None:
        log, _created = logs.exercise_log_record(
            patient=world.patient(name),
            item=world.items[name],
            day=TODAY,
            status=ExerciseLog.Status.DONE,
            now=NOW,
        )
        world.logged[name].append(log)

    step.__name__ = f"{name} logs an exercise today"
    return step


def log_late(name: str) -> Callable[[World], None]:
    def step(world: World) -> None:
        log, _created = logs.exercise_log_record(
            patient=world.patient(name),
            item=world.items[name],
            day=YESTERDAY,
            status=ExerciseLog.Status.SKIPPED,
            skip_reason="Too tired",
            now=NOW,
        )
        world.logged[name].append(log)

    step.__name__ = f"{name} adds yesterday's session later"
    return step


def undo(name: str) -> Callable[[World], None]:
    def step(world: World) -> None:
        logs.exercise_log_undo(patient=world.patient(name), log=world.logged[name].pop(), now=NOW)

    step.__name__ = f"{name} undoes the last log"
    return step


def pain_score(name: str, *, red_flag: bool = False, yesterday: bool = False):
    def step(world: World) -> None:
        pain.pain_log_record(
            patient=world.patient(name),
            score=6,
            yesterday=yesterday,
            calf_swollen_warm_red=red_flag,
            chest_symptoms=False,
            recent_immobilisation=False,
            now=NOW,
        )

    step.__name__ = f"{name} logs pain{' with a red flag' if red_flag else ''}"
    return step


def evaluate(world: World) -> None:
    """The beat's evaluator: raises "no activity" for the quiet ones, resolves the others."""
    alerts.alerts_evaluate(now=NOW)


def acknowledge_all(name: str) -> Callable[[World], None]:
    def step(world: World) -> None:
        for alert in Alert.objects.filter(
            patient=world.patients[name], acknowledged_at__isnull=True
        ):
            alerts.alert_acknowledge(alert=alert, by=world.clinician, note="Called them.", now=NOW)

    step.__name__ = f"the clinician acknowledges {name}'s alerts"
    return step


def erase(name: str) -> Callable[[World], None]:
    def step(world: World) -> None:
        rights.patient_erase(patient=world.patient(name), erased_by=world.clinician)
        del world.patients[name]

    step.__name__ = f"{name} is erased"
    return step


SCENARIOS = {
    "logs and undo": [log_today("ann"), log_today("ann"), undo("ann"), undo("ann")],
    "a late log, then today's": [log_late("bob"), log_today("bob"), undo("bob")],
    "pain today and yesterday": [pain_score("cy", yesterday=True), pain_score("cy")],
    "a red flag, acknowledged": [
        pain_score("ann", red_flag=True),
        pain_score("ann", red_flag=True),
        acknowledge_all("ann"),
    ],
    "no activity raised, then cleared by a log": [evaluate, log_today("bob"), evaluate],
    "an alert acknowledged while its condition lasts": [
        evaluate,
        acknowledge_all("cy"),
        evaluate,
        pain_score("cy"),
        evaluate,
    ],
    "an erasure among the others": [
        pain_score("bob", red_flag=True),
        log_today("ann"),
        evaluate,
        erase("bob"),
        log_late("cy"),
    ],
}


# --- what the figures must be ------------------------------------------------------------------


def expected_figures(patient: Patient) -> tuple[int, int, datetime.date | None, datetime.date]:
    """The figures read from the rows in plain Python, not through the SQL the refresh uses."""
    zone = timezone.get_default_timezone()
    open_alerts = list(Alert.objects.filter(patient=patient, acknowledged_at__isnull=True))
    days = [log.performed_on for log in ExerciseLog.objects.filter(patient=patient)] + [
        log.recorded_for.astimezone(zone).date() for log in PainLog.objects.filter(patient=patient)
    ]
    last_activity = max(days, default=None)
    return (
        max((alert.severity for alert in open_alerts), default=0),
        sum(alert.kind == Alert.Kind.RED_FLAG for alert in open_alerts),
        last_activity,
        last_activity or patient.created_at.astimezone(zone).date(),
    )


def kept_figures(patient: Patient) -> tuple:
    return (
        patient.attention_severity,
        patient.attention_red_flags,
        patient.last_activity_on,
        patient.active_since,
    )


def assert_kept_equals_computed(client, world: World, after: str) -> None:
    patients = list(Patient.objects.filter(clinician=world.clinician))
    for patient in patients:
        assert kept_figures(patient) == expected_figures(patient), f"{patient} after {after}"
    assert attention_drift() == []
    expected_order = sorted(
        patients,
        key=lambda p: (-p.attention_severity, -p.attention_red_flags, p.active_since, p.pk),
    )
    shown = [row.patient.pk for row in client.get(reverse("patients:clinic")).context["rows"]]
    assert shown == [p.pk for p in expected_order], f"dashboard order after {after}"


@pytest.mark.parametrize("steps", SCENARIOS.values(), ids=SCENARIOS.keys())
def test_the_kept_figures_equal_the_computed_ones_after_every_write(client, clinician, steps):
    world = World(clinician)
    client.force_login(clinician)
    assert_kept_equals_computed(client, world, "the patients were added")
    for step in steps:
        step(world)
        assert_kept_equals_computed(client, world, step.__name__)


def test_a_red_flag_puts_the_patient_first_and_its_acknowledgement_puts_them_back(
    client, clinician
):
    world = World(clinician)
    client.force_login(clinician)
    for name in ("ann", "bob"):
        log_today(name)(world)
    pain_score("cy", red_flag=True)(world)

    rows = client.get(reverse("patients:clinic")).context["rows"]
    assert rows[0].patient.pk == world.patients["cy"].pk
    assert rows[0].urgent

    acknowledge_all("cy")(world)
    rows = client.get(reverse("patients:clinic")).context["rows"]
    # Cy logged pain today like the others: the order they were added decides.
    assert [row.patient.pk for row in rows] == [world.patients[n].pk for n in ("ann", "bob", "cy")]


def test_the_command_finds_drift_and_recomputes_it(clinician):
    world = World(clinician)
    log_today("ann")(world)
    # Something writing behind the services' back (a restore, a bulk import).
    Patient.objects.filter(pk=world.patients["ann"].pk).update(
        attention_severity=30, last_activity_on=None, active_since=TODAY
    )

    with pytest.raises(CommandError, match="1 patients' kept figures differ"):
        call_command("attention_refresh", "--check")
    call_command("attention_refresh")
    call_command("attention_refresh", "--check")

    ann = world.patient("ann")
    assert kept_figures(ann) == (0, 0, TODAY, TODAY)


def test_page_one_is_read_through_the_attention_index(clinician):
    """With the planner's other ways priced out, the dashboard's query for page 1 can be
    served by ``patients_attention_idx`` alone: no sort node (the order is the index's)."""
    from django.db import connection

    from patients.services.dashboard import dashboard_patients

    World(clinician)
    query = dashboard_patients(clinician=clinician, today=TODAY).values_list("pk", flat=True)[:50]
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_bitmapscan = off")
        # A sort priced out too: on a table this small the planner may otherwise read the
        # clinician's index and sort its few rows. A plan that needs a sort still has one.
        cursor.execute("SET LOCAL enable_sort = off")
        sql, params = query.query.sql_with_params()
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "patients_attention_idx" in plan
    assert "Sort" not in plan
