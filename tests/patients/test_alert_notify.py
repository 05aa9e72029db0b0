"""A red-flag alert emails the clinician, without health details."""

import pytest
from django.core import mail

from patients.models import Alert
from patients.services.alerts import alert_notify_clinician
from patients.services.pain import pain_log_record
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def patient():
    clinician = factories.ClinicianFactory(first_name="Maria", email="maria@clinic.example")
    return factories.PatientFactory(
        clinician=clinician, user__first_name="Ann", user__last_name="Zeller"
    )


def record(patient, **answers):
    return pain_log_record(
        patient=patient,
        score=7,
        region=None,
        region_other="",
        timing="",
        note="Calf is hot and swollen",
        yesterday=False,
        calf_swollen_warm_red=answers.get("calf"),
        chest_symptoms=answers.get("chest"),
        recent_immobilisation=None,
    )


def test_a_red_flag_queues_the_clinicians_email_after_commit(
    patient, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        record(patient, calf=True)
    assert len(callbacks) == 1


def test_no_red_flag_queues_no_email(patient, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        record(patient, calf=False, chest=False)
    assert callbacks == []


def test_the_email_links_to_the_patient_and_carries_no_health_details(patient):
    record(patient, calf=True)
    alert = Alert.objects.get()
    assert alert_notify_clinician(alert_id=alert.pk) is True
    [message] = mail.outbox
    assert message.to == ["maria@clinic.example"]
    assert f"/clinic/patients/{patient.pk}/" in message.body
    for private in ("Zeller", "Ann", "swollen", "7/10", "calf"):
        assert private not in message.body
        assert private not in message.subject


def test_an_acknowledged_alert_sends_nothing(patient):
    record(patient, chest=True)
    alert = Alert.objects.get()
    Alert.objects.filter(pk=alert.pk).update(acknowledged_at=alert.created_at)
    assert alert_notify_clinician(alert_id=alert.pk) is False
    assert mail.outbox == []
