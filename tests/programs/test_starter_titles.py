"""Programs easy to tell apart: "Create starter" asks for a title (prefilled with the
muscle, and the patient's name when started from a patient), the Assign list shows each
program's item count and last change, and the builder has "Assign to a patient"."""

import datetime

import pytest
import time_machine
from django.urls import reverse

from programs.models import Program
from tests.factories import PatientFactory, ProgramFactory, ProgramItemFactory

pytestmark = pytest.mark.django_db

NEW = reverse("programs:new")


@pytest.fixture
def signed_in(client, clinician):
    client.force_login(clinician)
    return client


@pytest.fixture
def record(clinician):
    return PatientFactory(clinician=clinician, user__first_name="Pat", user__last_name="Jones")


def test_create_starter_without_a_title_asks_for_one_prefilled_with_the_muscle(
    signed_in, clinician, gastrocnemius
):
    response = signed_in.post(NEW, {"start": "muscle", "muscle": gastrocnemius.pk})
    html = response.content.decode()
    assert response.status_code == 200
    assert "Name the new program" in html
    assert 'value="Gastrocnemius starter"' in html
    assert not Program.objects.filter(owner=clinician).exists()


def test_the_title_given_names_the_starter(signed_in, clinician, gastrocnemius):
    signed_in.post(
        NEW, {"start": "muscle", "muscle": gastrocnemius.pk, "title": "  Calves for runners "}
    )
    program = Program.objects.get(owner=clinician)
    assert program.title == "Calves for runners"
    assert program.items.count() == 8


def test_a_starter_from_a_patient_is_prefilled_with_the_patients_name(
    signed_in, record, gastrocnemius
):
    url = reverse("patients:patient_starter", args=[record.pk])
    assert (
        "Make a starter from a muscle for Pat Jones"
        in signed_in.get(reverse("patients:assign", args=[record.pk])).content.decode()
    )
    html = signed_in.post(url, {"muscle": gastrocnemius.pk}).content.decode()
    assert 'value="Gastrocnemius – Pat Jones"' in html


def test_a_starter_from_a_patient_opens_the_assign_form_with_it_chosen(
    signed_in, clinician, record, gastrocnemius
):
    url = reverse("patients:patient_starter", args=[record.pk])
    response = signed_in.post(url, {"muscle": gastrocnemius.pk, "title": "Gastrocnemius – Pat"})
    program = Program.objects.get(owner=clinician)
    assign = reverse("patients:assign", args=[record.pk])
    assert response["Location"] == f"{assign}?program={program.pk}"
    form = signed_in.get(response["Location"]).context["form"]
    assert form["program"].value() == program.pk


def test_a_starter_without_a_muscle_says_so_and_saves_nothing(signed_in, clinician, record):
    url = reverse("patients:patient_starter", args=[record.pk])
    html = signed_in.post(url, {"muscle": "", "title": "x"}).content.decode()
    assert "Choose a muscle." in html
    assert not Program.objects.filter(owner=clinician).exists()


@time_machine.travel(datetime.datetime(2026, 12, 2, 10, 0, tzinfo=datetime.UTC), tick=False)
def test_the_assign_list_shows_each_programs_item_count_and_last_change(client, clinician, record):
    client.force_login(clinician)  # inside the frozen time, or the session would be idle
    one = ProgramFactory(owner=clinician, title="Gastrocnemius starter")
    ProgramItemFactory.create_batch(3, program=one)
    ProgramFactory(owner=clinician, title="Gastrocnemius starter")
    html = client.get(reverse("patients:assign", args=[record.pk])).content.decode()
    assert "Gastrocnemius starter · 3 items · changed 2 Dec 2026" in html
    assert "Gastrocnemius starter · 0 items · changed 2 Dec 2026" in html


def test_the_builder_has_assign_to_a_patient(signed_in, clinician, record):
    program = ProgramFactory(owner=clinician)
    html = signed_in.get(program.get_absolute_url()).content.decode()
    url = reverse("patients:program_assign", args=[program.pk])
    assert f'href="{url}"' in html
    page = signed_in.get(url).content.decode()
    assert "Pat Jones" in page
    response = signed_in.get(url, {"patient": record.pk})
    assert response["Location"] == (
        f"{reverse('patients:assign', args=[record.pk])}?program={program.pk}"
    )


def test_assign_to_another_clinicians_patient_is_not_found(signed_in, clinician, other_clinician):
    program = ProgramFactory(owner=clinician)
    theirs = PatientFactory(clinician=other_clinician)
    url = reverse("patients:program_assign", args=[program.pk])
    assert signed_in.get(url, {"patient": theirs.pk}).status_code == 404


@pytest.mark.parametrize(
    ("chosen", "status"),
    [("²", 200), ("-1", 200), ("1.0", 200), (" 1", 200), ("99999999999999999999999", 404)],
)
def test_assign_with_a_patient_that_is_no_id_shows_the_choice_or_is_not_found(
    signed_in, clinician, chosen, status
):
    """What is not a plain number (a superscript two counts as a digit to Python) shows
    the choice again; a number no patient of theirs has is a 404: never a 500."""
    program = ProgramFactory(owner=clinician)
    url = reverse("patients:program_assign", args=[program.pk])
    assert signed_in.get(url, {"patient": chosen}).status_code == status
