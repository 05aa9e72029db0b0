"""The patient's handout: printed by their clinician (/clinic/assignments/<id>/print/) or
kept by the patient (/me/handout/), with pictures, dosage, tips and the safety advice."""

import datetime
import io
import re

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from PIL import Image

from patients.models import AssignmentItem
from tests import factories

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2025, 3, 5, 12, 0, tzinfo=datetime.UTC)
MY_HANDOUT = reverse("patients:my_handout")


@pytest.fixture(autouse=True)
def frozen_time():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def png() -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (2, 2), color=(200, 30, 30)).save(buffer, format="PNG")
    return SimpleUploadedFile("calf-raise.png", buffer.getvalue(), "image/png")


@pytest.fixture
def assignment(patient_user):
    clinician = factories.ClinicianFactory(
        username="dr.lopez",
        first_name="Maria",
        last_name="Lopez",
        email="maria@clinic.example",
        practice__name="Riverside Physio",
    )
    patient_user.first_name, patient_user.last_name = "Pat", "Zeller"
    patient_user.save()
    patient = factories.PatientFactory(
        user=patient_user,
        clinician=clinician,
        time_zone="Europe/London",
    )
    assignment = factories.AssignmentFactory(
        patient=patient,
        title="Calf program",
        starts_on=datetime.date(2025, 3, 2),
        ends_on=datetime.date(2025, 4, 27),
    )
    pictured = factories.ModuleItemFactory(
        name="Calf raise", image=png(), image_alt="Rising onto the toes, then lowering"
    )
    AssignmentItem.objects.create(
        assignment=assignment,
        library_item=pictured,
        name="Calf raise",
        instructions="Rise onto your toes, then lower slowly.",
        sets=3,
        reps=10,
        note="Hold the back of a chair.",
        order=1,
    )
    AssignmentItem.objects.create(
        assignment=assignment,
        name="Wall stretch",
        instructions="Lean on the wall, back heel down.",
        hold_seconds=30,
        reps=3,
        order=2,
    )
    AssignmentItem.objects.create(
        assignment=assignment,
        name="Supportive shoes",
        instructions="Wear shoes with a firm heel counter.",
        module_kind="posture_footwear",
        is_advice=True,
        order=3,
    )
    return assignment


def print_url(assignment) -> str:
    return reverse("patients:assignment_print", args=[assignment.pk])


def main_text(response) -> str:
    html = response.content.decode()
    main = html[html.index("<main") : html.index("</main>")]
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", main))


def test_the_clinician_prints_the_patients_handout_with_everything_to_keep(client, assignment):
    client.force_login(assignment.patient.clinician)

    response = client.get(print_url(assignment))

    assert response.status_code == 200
    text = main_text(response)
    html = response.content.decode()
    assert "Your home exercises: Calf program" in text
    assert "Pat Zeller" in text
    assert "Maria Lopez, Riverside Physio" in text
    assert 'href="mailto:maria@clinic.example"' in html
    # Dates as the patient reads them: day first, the month short, no full stop.
    assert "2 Mar 2025 – 27 Apr 2025" in text
    assert "Mar. 2" not in text and "March 2" not in text
    # Each exercise with its picture, dosage in words and how to do it.
    assert "1. Calf raise" in text and "2. Wall stretch" in text
    assert "3 sets of 10" in text
    assert "Rise onto your toes, then lower slowly." in text
    assert "Hold the back of a chair." in text
    assert re.search(
        r'<img class="handout-picture" src="[^"]*calf-raise[^"]*\.png" '
        r'alt="Rising onto the toes, then lowering">',
        html,
    )
    assert html.count('class="handout-picture"') == 1  # no picture, no empty frame
    # Advice is a tip, not a numbered exercise.
    tips = text[text.index("Keep in mind") :]
    assert "Supportive shoes : Wear shoes with a firm heel counter." in tips
    assert "3. Supportive shoes" not in text
    # When to stop, when to get help.
    assert "Stop an exercise and contact your clinician if it causes sharp or increasing pain." in (
        text
    )
    assert "stop the exercises and contact a doctor the same day" in text
    assert "call the emergency number now (999 in the UK, 911 in the US, 112 in the EU)" in text
    assert "Printed 5 Mar 2025." in text


def test_the_assignment_page_links_to_its_handout(client, assignment):
    client.force_login(assignment.patient.clinician)

    page = client.get(assignment.get_absolute_url()).content.decode()

    assert print_url(assignment) in page


def test_another_clinician_cannot_print_the_handout(client, other_clinician, assignment):
    client.force_login(other_clinician)

    assert client.get(print_url(assignment)).status_code == 404


def test_the_patient_keeps_their_own_copy_linked_from_today(client, assignment):
    client.force_login(assignment.patient.user)

    assert MY_HANDOUT in client.get(reverse("patients:today")).content.decode()
    response = client.get(MY_HANDOUT)

    assert response.status_code == 200
    text = main_text(response)
    assert "Your home exercises: Calf program" in text and "Pat Zeller" in text
    assert "2 Mar 2025" in text


def test_another_patient_sees_only_their_own_handout(assignment, other_patient_user):
    factories.PatientFactory(user=other_patient_user)
    other = Client()
    other.force_login(other_patient_user)

    text = main_text(other.get(MY_HANDOUT))

    assert "Pat Zeller" not in text and "Calf raise" not in text
    assert "You have no program yet." in text


def test_a_clinician_is_refused_the_patients_handout_page(client, assignment):
    client.force_login(assignment.patient.clinician)

    assert client.get(MY_HANDOUT).status_code == 403


def test_the_handout_escapes_what_people_typed(client, assignment):
    AssignmentItem.objects.filter(name="Wall stretch").update(
        note="<script>alert(1)</script>", instructions="<b>lean</b>"
    )
    client.force_login(assignment.patient.clinician)

    html = client.get(print_url(assignment)).content.decode()

    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<b>lean</b>" not in html
