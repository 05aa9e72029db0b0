"""The one lookup of the signed-in patient's own record, and the one home of their zone."""

import zoneinfo

import pytest
from django.http import Http404

from patients.access import get_own_patient_record, own_patient_record
from tests import factories


def test_a_patient_finds_their_own_record_and_nobody_elses(patient_user, other_patient_user):
    mine = factories.PatientFactory(user=patient_user)
    factories.PatientFactory(user=other_patient_user)

    assert own_patient_record(patient_user) == mine
    assert get_own_patient_record(patient_user) == mine


def test_an_account_without_a_record_has_none_and_its_pages_are_a_404(clinician, patient_user):
    assert own_patient_record(clinician) is None
    assert own_patient_record(patient_user) is None
    with pytest.raises(Http404):
        get_own_patient_record(patient_user)


def test_the_patients_zone_is_their_time_zone(patient_user):
    patient = factories.PatientFactory(user=patient_user, time_zone="Pacific/Auckland")

    assert patient.zone == zoneinfo.ZoneInfo("Pacific/Auckland")
