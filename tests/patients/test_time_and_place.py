"""Time and place: a time-zone picker with the practice's zones first (a plain <select>
with optgroups, a search box added by static JS), a practice time zone that decides the
clinic's "today", and dates in British English from Django's format localisation."""

import datetime
import zoneinfo

import pytest
import time_machine
from django.urls import reverse
from django.utils import formats, translation

from patients.forms import PatientForm
from patients.models import Invitation, Patient
from tests.factories import AssignmentFactory, ClinicianFactory, PatientFactory, PracticeFactory
from users.models import Practice

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2026, 12, 2, 14, 5, tzinfo=datetime.UTC)


@pytest.fixture(autouse=True)
def frozen_time():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def practice():
    return PracticeFactory(name="Harbour Physio", time_zone="Pacific/Auckland")


@pytest.fixture
def kiwi(practice):
    return ClinicianFactory(username="kiwi", practice=practice)


def groups(form) -> list:
    return list(form.fields["time_zone"].choices)


def test_the_suggested_zones_come_first_the_practices_then_its_patients(kiwi, practice):
    colleague = ClinicianFactory(practice=practice)
    PatientFactory.create_batch(2, clinician=colleague, time_zone="Australia/Sydney")
    PatientFactory(clinician=kiwi, time_zone="Pacific/Chatham")
    PatientFactory(clinician=ClinicianFactory(), time_zone="America/Denver")  # another practice
    label, suggested = groups(PatientForm(clinician=kiwi))[0]
    names = [name for name, _label in suggested]
    assert str(label) == "Suggested"
    assert names[:3] == ["Pacific/Auckland", "Australia/Sydney", "Pacific/Chatham"]
    assert "America/Denver" not in names


def test_every_zone_is_still_offered_under_its_region(kiwi):
    regions = dict(groups(PatientForm(clinician=kiwi))[1:])
    assert ("America/Denver", "America/Denver") in regions["America"]
    assert ("Europe/London", "Europe/London") in regions["Europe"]
    assert sum(len(zones) for zones in regions.values()) > 400


def test_a_new_patient_starts_in_the_practices_zone(kiwi):
    assert PatientForm(clinician=kiwi)["time_zone"].value() == "Pacific/Auckland"


def test_the_add_page_is_a_plain_select_with_optgroups_and_the_search_script(client, kiwi):
    client.force_login(kiwi)
    html = client.get(reverse("patients:patient_create")).content.decode()
    assert '<optgroup label="Suggested">' in html
    assert '<optgroup label="Europe">' in html
    assert "data-tz-picker" in html
    assert 'data-tz-search-label="Search time zones"' in html
    assert "/static/js/tz-picker.js" in html
    assert "<script>" not in html  # CSP: no inline script


def test_a_zone_that_does_not_exist_is_a_form_error_and_saves_nothing(client, kiwi):
    client.force_login(kiwi)
    response = client.post(
        reverse("patients:patient_create"),
        {"first_name": "A", "last_name": "B", "email": "ab@example.org", "time_zone": "Mars/Base"},
    )
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert not Patient.objects.exists()


def test_the_clinics_today_is_the_practices(client, kiwi):
    # 14:05 on 2 Dec in London is 03:05 on 3 Dec in Auckland.
    client.force_login(kiwi)
    assert client.get(reverse("patients:clinic")).context["today"] == datetime.date(2026, 12, 3)


def test_a_london_practices_today_is_londons(client, clinician):
    client.force_login(clinician)
    assert client.get(reverse("patients:clinic")).context["today"] == datetime.date(2026, 12, 2)


def test_times_on_clinician_pages_are_on_the_practices_clock(client, kiwi):
    record = PatientFactory(clinician=kiwi, user__email="pat@example.org")
    AssignmentFactory(patient=record)
    Invitation.objects.create(
        patient=record, token_hash="x", channel="email", created_at=NOW, expires_at=NOW
    )
    client.force_login(kiwi)
    html = client.get(record.get_absolute_url()).content.decode()
    assert "Invitation sent 3 Dec 2026, 03:05" in html


def test_an_administrator_sets_a_practices_time_zone(client, administrator, practice):
    client.force_login(administrator)
    url = reverse("admin:users_practice_change", args=[practice.pk])
    assert 'name="time_zone"' in client.get(url).content.decode()
    client.post(url, {"name": "Harbour Physio", "time_zone": "Europe/Dublin"})
    practice.refresh_from_db()
    assert practice.time_zone == zoneinfo.ZoneInfo("Europe/Dublin")


def test_practices_are_in_london_unless_told_otherwise():
    assert str(Practice.objects.create(name="New").time_zone) == "Europe/London"


def test_dates_read_the_british_way_by_default():
    day = datetime.date(2026, 12, 2)
    moment = datetime.datetime(2026, 12, 2, 14, 5, tzinfo=datetime.UTC)
    with translation.override("en-gb"):
        assert formats.date_format(day, "DATE_FORMAT") == "2 Dec 2026"
        assert formats.date_format(day, "SHORT_DATE_FORMAT") == "2 Dec 2026"
        assert formats.date_format(moment, "DATETIME_FORMAT") == "2 Dec 2026, 14:05"
        assert formats.time_format(moment.time(), "TIME_FORMAT") == "14:05"
    assert translation.get_language() == "en-gb"


def test_the_dashboard_dates_read_2_dec_2026(client, clinician):
    record = PatientFactory(clinician=clinician)
    AssignmentFactory(
        patient=record, starts_on=datetime.date(2026, 12, 2), ends_on=datetime.date(2027, 1, 5)
    )
    client.force_login(clinician)
    html = client.get(reverse("patients:clinic")).content.decode()
    assert "2 Dec 2026 – 5 Jan 2027" in html
    assert "12/02/2026" not in html
