"""Every invitation test: its own cache (for the brute-force lockout), SMS to a list, and
the clinician's patient as patient_create makes them."""

import uuid

import pytest

from patients import sms
from tests.factories import PatientFactory


@pytest.fixture(autouse=True)
def fresh_cache(settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": f"test-invitations-{uuid.uuid4()}",
        }
    }


@pytest.fixture(autouse=True)
def sms_outbox(settings):
    settings.SMS_BACKEND = "patients.sms.LocmemSmsBackend"
    sms.outbox.clear()
    yield sms.outbox
    sms.outbox.clear()


@pytest.fixture
def record(clinician):
    """The clinician's patient, as patient_create makes them: no password yet."""
    record = PatientFactory(
        clinician=clinician,
        user__username="pat",
        user__first_name="Pat",
        user__last_name="Jones",
        user__email="pat@example.org",
        phone="+447911123456",
    )
    record.user.set_unusable_password()
    record.user.save()
    return record
