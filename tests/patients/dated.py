"""Dated data shared by the dashboard, alert, story and export tests: one frozen "now" and
factories whose defaults are relative to it."""

import datetime

import factory

from patients.models import Alert, AssignmentItem, Delivery, ExerciseLog, PainLog
from patients.services.attention import attention_refresh
from tests.factories import AssignmentFactory, PatientFactory

UTC = datetime.UTC
# Wednesday 5 March 2025, noon in London (UTC+0 until 30 March).
NOW = datetime.datetime(2025, 3, 5, 12, 0, tzinfo=UTC)
TODAY = datetime.date(2025, 3, 5)


def days_ago(n: int) -> datetime.date:
    return TODAY - datetime.timedelta(days=n)


def moment(day: datetime.date, hour: int = 9) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(hour), tzinfo=UTC)


class ItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AssignmentItem

    assignment = factory.SubFactory(AssignmentFactory)
    name = factory.Sequence(lambda n: f"Exercise {n}")
    instructions = "Slowly."
    module_kind = "stretching"
    sets = 3
    reps = 10
    order = factory.Sequence(lambda n: n)


class KeepsAttention(factory.django.DjangoModelFactory):
    """A log or alert written as its service writes it: the patient's kept attention
    figures (the dashboard's order, patients.services.attention) refreshed with it."""

    class Meta:
        abstract = True

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        created = super()._create(model_class, *args, **kwargs)
        attention_refresh(patient_ids=[created.patient_id])
        return created


class ExerciseLogFactory(KeepsAttention):
    class Meta:
        model = ExerciseLog

    item = factory.SubFactory(ItemFactory)
    assignment = factory.SelfAttribute("item.assignment")
    patient = factory.SelfAttribute("item.assignment.patient")
    performed_on = factory.LazyFunction(lambda: days_ago(1))
    session = 1
    status = ExerciseLog.Status.DONE


class PainLogFactory(KeepsAttention):
    class Meta:
        model = PainLog

    patient = factory.SubFactory(PatientFactory)
    assignment = None
    score = 5
    recorded_for = factory.LazyFunction(lambda: moment(days_ago(1)))


class AlertFactory(KeepsAttention):
    class Meta:
        model = Alert

    patient = factory.SubFactory(PatientFactory)
    kind = Alert.Kind.RED_FLAG
    severity = factory.LazyAttribute(
        lambda a: {
            Alert.Kind.RED_FLAG: Alert.Severity.URGENT,
            Alert.Kind.PAIN_RISING: Alert.Severity.HIGH,
        }.get(a.kind, Alert.Severity.NORMAL)
    )
    message = factory.LazyAttribute(lambda a: f"{a.kind} alert")
    dedupe_key = factory.LazyAttribute(lambda a: "" if a.kind == Alert.Kind.RED_FLAG else "key")


class DeliveryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Delivery

    patient = factory.SubFactory(PatientFactory)
    kind = Delivery.Kind.EXERCISE
    channel = "email"
    occurrence = factory.Sequence(lambda n: NOW - datetime.timedelta(hours=n + 1))
    status = Delivery.Status.SENT


def pain_logs(assignment, scores, *, first: datetime.date):
    """One pain log a day from ``first``, in the assignment, with these scores."""
    return [
        PainLogFactory(
            patient=assignment.patient,
            assignment=assignment,
            score=score,
            recorded_for=moment(first + datetime.timedelta(days=n)),
        )
        for n, score in enumerate(scores)
    ]
