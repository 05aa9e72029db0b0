"""Personas and shared fixtures. Each test builds the rows it needs with factories."""

import os

import pytest
from django.core.management import call_command

from tests import factories, redis_server


def pytest_collection_modifyitems(config, items):
    """Tests that start their own redis-server run wherever the binary is, and always when
    REDIS_URL is set (CI), where a missing binary fails them. Only on a machine with
    neither (the file-system broker) are they left out, and the run says so."""
    if os.environ.get("REDIS_URL") or redis_server.binary():
        return
    left_out = [item for item in items if item.get_closest_marker("redis_server")]
    if left_out:
        items[:] = [item for item in items if item not in left_out]
        config.hook.pytest_deselected(items=left_out)
        config.issue_config_time_warning(
            pytest.PytestWarning(
                f"{len(left_out)} Redis-restart test(s) left out: no REDIS_URL and no "
                "redis-server on this machine (apt install redis-server to run them)"
            ),
            stacklevel=2,
        )


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


@pytest.fixture
def psfs(db):
    """The Patient-Specific Functional Scale, loaded from the shipped instruments file."""
    from trigger.instruments_load import instruments_load
    from trigger.models import Instrument

    instruments_load()
    return Instrument.objects.get(slug="psfs")
