"""A failed save must not burn the form's once-token: the patient's second tap of Save on
a red-flag pain log saves the log and raises the alert (issue 12, finding 2)."""

import pytest
from django.db import OperationalError
from django.urls import reverse

from patients.models import Alert, PainLog
from patients.services import pain as pain_services
from patients.views import pain as pain_views
from tests import factories
from users.once import new_token

pytestmark = pytest.mark.django_db

PAIN_URL = reverse("patients:pain")


@pytest.fixture
def patient_client(client, clinician, patient_user):
    factories.PatientFactory(user=patient_user, clinician=clinician)
    client.force_login(patient_user)
    return client


def red_flag_post(client, token):
    return client.post(
        PAIN_URL,
        {
            "score": "7",
            "calf_swollen_warm_red": "True",
            "chest_symptoms": "False",
            "recent_immobilisation": "False",
            "once": token,
        },
    )


def test_a_red_flag_log_whose_first_save_failed_is_saved_by_the_second_tap(
    patient_client, monkeypatch
):
    failures = []

    def database_gone_once(**kwargs):
        if not failures:
            failures.append(True)
            raise OperationalError("server closed the connection unexpectedly")
        return pain_services.pain_log_record(**kwargs)

    monkeypatch.setattr(pain_views, "pain_log_record", database_gone_once)
    token = new_token()
    with pytest.raises(OperationalError):
        red_flag_post(patient_client, token)
    assert PainLog.objects.count() == 0

    response = red_flag_post(patient_client, token)

    log = PainLog.objects.get()
    assert response.url == reverse("patients:pain_logged", args=[log.pk])
    assert log.has_red_flag
    assert Alert.objects.get().kind == Alert.Kind.RED_FLAG


def test_a_third_tap_after_a_successful_save_still_saves_nothing_more(patient_client):
    token = new_token()
    first = red_flag_post(patient_client, token)
    again = red_flag_post(patient_client, token)
    assert again.url == first.url
    assert PainLog.objects.count() == 1
    assert Alert.objects.count() == 1
