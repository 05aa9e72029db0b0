"""In a real Chromium on a phone: the patient opens the invitation link, taps Sign in,
lands on the welcome page, then on their day."""

import re
from urllib.parse import urlsplit

import pytest
from django.core import mail
from django.urls import reverse
from playwright.sync_api import expect

from patients.models import Invitation
from patients.services.invitations import invitation_send
from tests.factories import ClinicianFactory, PatientFactory

pytestmark = pytest.mark.django_db(transaction=True)

LINK = re.compile(r"https?://\S+/invite/[A-Za-z0-9_-]+/")


def test_a_patient_opens_the_invitation_on_their_phone_and_signs_in(
    live_server, phone_page, screenshot, settings
):
    settings.SITE_URL = live_server.url
    clinician = ClinicianFactory(username="dr.lee", first_name="Ann", last_name="Lee")
    patient = PatientFactory(
        clinician=clinician, user__first_name="Pat", user__email="pat@example.org"
    )
    patient.user.set_unusable_password()
    patient.user.save()
    mail.outbox.clear()

    invitation_send(patient=patient, channel="email", sent_by=clinician)

    assert len(mail.outbox) == 1
    link = LINK.search(mail.outbox[0].body).group(0)
    page = phone_page
    page.goto(link)

    expect(page.get_by_role("heading", name="Welcome, Pat")).to_be_visible()
    sign_in = page.get_by_role("button", name="Sign in")
    expect(sign_in).to_be_visible()
    box = sign_in.bounding_box()
    assert box is not None and box["height"] >= 48  # a thumb-sized button
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(page, "invitation-sign-in")
    assert Invitation.objects.get().used_at is None  # opening the link used nothing

    sign_in.tap()

    page.wait_for_url(f"**{reverse('patients:welcome')}")
    expect(page.get_by_role("heading", name="You are signed in")).to_be_visible()
    expect(page.get_by_role("link", name="Set a password")).to_be_visible()
    screenshot(page, "invitation-welcome")
    assert Invitation.objects.get().used_at is not None

    page.get_by_role("link", name="Keep signing in with a link or a code").tap()

    page.wait_for_url(f"**{reverse('patients:today')}")
    assert urlsplit(page.url).path == "/me/"
    assert "sessionid" in {cookie["name"] for cookie in page.context.cookies()}


def test_a_used_invitation_link_tells_the_patient_what_to_do(live_server, phone_page, settings):
    settings.SITE_URL = live_server.url
    clinician = ClinicianFactory(username="dr.lee")
    patient = PatientFactory(clinician=clinician, user__email="pat@example.org")
    mail.outbox.clear()
    invitation_send(patient=patient, channel="email", sent_by=clinician)
    link = LINK.search(mail.outbox[0].body).group(0)
    Invitation.objects.update(used_at=Invitation.objects.get().created_at)

    response = phone_page.goto(link)

    assert response is not None and response.status == 410
    expect(phone_page.get_by_text("Ask your clinician for a new invitation.")).to_be_visible()
