"""The next step at the top of a patient's page and of each assignment page: assign a
program, then invite (to the contact it will use), then resend until the patient signs in."""

import datetime

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from patients.models import Assignment, Invitation, Patient
from patients.services.next_step import NextStep, patient_next_step
from tests.factories import AssignmentFactory, PatientFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def record(clinician):
    return PatientFactory(
        clinician=clinician,
        user__first_name="Pat",
        user__last_name="Jones",
        user__email="pat@example.org",
        phone="+447911123456",
    )


def _invite(record, *, channel="email", when=None, used=False) -> Invitation:
    now = when or timezone.now()
    return Invitation.objects.create(
        patient=record,
        token_hash=f"{record.pk}-{now.timestamp()}-{channel}",
        channel=channel,
        created_at=now,
        expires_at=now + datetime.timedelta(days=7),
        used_at=now if used else None,
    )


def _panel(client, clinician, url: str) -> str:
    client.force_login(clinician)
    html = client.get(url).content.decode()
    if 'data-testid="next-step"' not in html:
        return ""
    return html.split('data-testid="next-step"', 1)[1].split("</section>", 1)[0]


def test_a_patient_without_a_program_is_asked_for_one_first(client, clinician, record):
    panel = _panel(client, clinician, record.get_absolute_url())
    assert 'data-step="assign"' in panel
    assert "Assign a program" in panel
    assert reverse("patients:assign", args=[record.pk]) in panel
    assert "Send invitation" not in panel


def test_an_ended_program_does_not_count_as_a_program(clinician, record):
    AssignmentFactory(patient=record, status=Assignment.Status.ENDED)
    assert patient_next_step(patient=record).kind == NextStep.ASSIGN


def test_with_a_program_and_no_invitation_it_offers_to_invite_by_email(client, clinician, record):
    AssignmentFactory(patient=record)
    panel = _panel(client, clinician, record.get_absolute_url())
    assert 'data-step="invite"' in panel
    assert "Send invitation" in panel
    assert "by email to pat@example.org" in panel
    assert 'name="channel" value="email"' in panel
    assert reverse("patients:patient_invite", args=[record.pk]) in panel


def test_a_patient_with_only_a_mobile_number_is_invited_by_text(client, clinician, record):
    record.user.email = ""
    record.user.save()
    AssignmentFactory(patient=record)
    panel = _panel(client, clinician, record.get_absolute_url())
    assert "by text message to +44 7911 123456" in panel
    assert 'name="channel" value="sms"' in panel


@time_machine.travel(datetime.datetime(2026, 12, 2, 14, 5, tzinfo=datetime.UTC), tick=False)
def test_an_invited_patient_who_never_signed_in_shows_when_and_send_again(
    client, clinician, record
):
    AssignmentFactory(patient=record)
    _invite(record, channel="sms")
    panel = _panel(client, clinician, record.get_absolute_url())
    assert 'data-step="resend"' in panel
    assert "Invitation sent 2 Dec 2026, 14:05" in panel
    assert "Send again" in panel
    assert "by text message to +44 7911 123456" in panel


def test_a_patient_who_signed_in_has_no_next_step(client, clinician, record):
    AssignmentFactory(patient=record)
    _invite(record, used=True)
    assert _panel(client, clinician, record.get_absolute_url()) == ""
    assert patient_next_step(patient=record) is None


def test_a_patient_who_signed_in_another_way_has_no_next_step(clinician, record):
    AssignmentFactory(patient=record)
    _invite(record)
    record.user.last_login = timezone.now()
    record.user.save()
    assert patient_next_step(patient=record) is None


def test_the_assignment_page_says_the_patient_is_not_invited(client, clinician, record):
    assignment = AssignmentFactory(patient=record)
    panel = _panel(client, clinician, assignment.get_absolute_url())
    assert "has not been invited to the app yet" in panel
    assert "Send invitation" in panel


def test_the_panel_comes_before_the_charts(client, clinician, record):
    client.force_login(clinician)
    html = client.get(record.get_absolute_url()).content.decode()
    assert html.index('data-testid="next-step"') < html.index('id="chart-heading"')


def test_sending_from_the_panel_invites_and_moves_to_the_next_state(
    client, clinician, record, mailoutbox
):
    AssignmentFactory(patient=record)
    client.force_login(clinician)
    client.post(reverse("patients:patient_invite", args=[record.pk]), {"channel": "email"})
    assert mailoutbox[-1].to == ["pat@example.org"]
    assert patient_next_step(patient=record).kind == NextStep.RESEND


def test_add_and_assign_goes_straight_to_the_assign_form(client, clinician):
    client.force_login(clinician)
    html = client.get(reverse("patients:patient_create")).content.decode()
    assert "Add and assign a program" in html
    response = client.post(
        reverse("patients:patient_create"),
        {
            "first_name": "Ann",
            "last_name": "Lee",
            "email": "ann@example.org",
            "time_zone": "Europe/London",
            "then": "Add and assign a program",
        },
    )
    patient = Patient.objects.get(user__email="ann@example.org")
    assert response.status_code == 302
    assert response["Location"] == reverse("patients:assign", args=[patient.pk])


def test_add_patient_alone_still_opens_the_patients_page(client, clinician):
    client.force_login(clinician)
    response = client.post(
        reverse("patients:patient_create"),
        {"first_name": "Ann", "last_name": "Lee", "email": "ann@example.org", "time_zone": "UTC"},
    )
    patient = Patient.objects.get(user__email="ann@example.org")
    assert response["Location"] == patient.get_absolute_url()


@pytest.mark.parametrize(
    "state", ["no program", "ended", "not invited", "invited", "expired", "used", "signed in"]
)
def test_the_next_step_from_programs_and_invitations_already_read_is_the_same(record, state):
    """The patient's page passes the programs and invitations it has read; the answer is
    the one the next step reads for itself."""
    if state == "ended":
        AssignmentFactory(patient=record, status=Assignment.Status.ENDED)
    elif state != "no program":
        AssignmentFactory(patient=record)
    if state in ("invited", "expired", "used", "signed in"):
        old = timezone.now() - datetime.timedelta(days=10)
        _invite(record, channel="sms", when=old, used=state == "used")
        if state != "expired":
            _invite(record)
    if state == "signed in":
        record.user.last_login = timezone.now()
        record.user.save()
    record = Patient.objects.select_related("user").get(pk=record.pk)

    expected = patient_next_step(patient=record)
    passed = patient_next_step(
        patient=record,
        programs=list(record.assignments.all()),
        invitations=list(record.invitations.all()),
    )

    assert passed == expected
    if state in ("invited", "expired"):
        assert expected.kind == NextStep.RESEND
        assert expected.expired == (state == "expired")
