"""Personas and shared fixtures. Each test builds the rows it needs with factories."""

import pytest
from django.core.management import call_command

from tests import factories


@pytest.fixture
def clinician(db):
    return factories.ClinicianFactory(username="clinician")


@pytest.fixture
def other_clinician(db):
    return factories.ClinicianFactory(username="other.clinician")


@pytest.fixture
def patient_user(db):
    return factories.PatientUserFactory(username="patient")


@pytest.fixture
def other_patient_user(db):
    return factories.PatientUserFactory(username="other.patient")


@pytest.fixture
def editor(db):
    return factories.EditorFactory(username="editor")


@pytest.fixture
def administrator(db):
    return factories.AdminFactory(username="administrator")


@pytest.fixture
def gastrocnemius(db):
    """The shipped gastrocnemius document, loaded as `make run` loads it."""
    from trigger.models import Muscle

    call_command("load_trigger_content", verbosity=0)
    return Muscle.objects.get(slug="gastrocnemius")
