"""/programs/: a clinician's programs and templates, and starting a new program."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from programs.models import Program
from tests.factories import ClinicianFactory, ProgramFactory, ProgramItemFactory

LIST = reverse("programs:list")
NEW = reverse("programs:new")


@pytest.fixture
def signed_in(client, clinician):
    client.force_login(clinician)
    return client


@pytest.fixture
def colleague(clinician):
    return ClinicianFactory(username="colleague", practice=clinician.practice)


def titles(response) -> list[str]:
    return [program.title for program in response.context["programs"]]


@pytest.fixture
def programs(clinician, colleague, other_clinician):
    """What each tab should show, and what it must never show."""
    return {
        "own": ProgramFactory(owner=clinician, title="Calf rehab"),
        "own_template": ProgramFactory(owner=clinician, title="Calf template", is_template=True),
        "shared": ProgramFactory(
            owner=colleague, title="Heel pain", is_template=True, shared_with_practice=True
        ),
        "colleague_private": ProgramFactory(
            owner=colleague, title="Colleague private", is_template=True
        ),
        "colleague_program": ProgramFactory(owner=colleague, title="Colleague program"),
        "other_practice": ProgramFactory(
            owner=other_clinician,
            title="Other practice",
            is_template=True,
            shared_with_practice=True,
        ),
    }


def test_the_list_shows_the_clinicians_own_programs(signed_in, programs):
    response = signed_in.get(LIST)
    assert response.status_code == 200
    assert titles(response) == ["Calf rehab"]


def test_my_templates_shows_only_the_clinicians_own_templates(signed_in, programs):
    assert titles(signed_in.get(LIST, {"tab": "templates"})) == ["Calf template"]


def test_shared_templates_shows_templates_shared_in_the_practice_only(signed_in, programs):
    response = signed_in.get(LIST, {"tab": "shared"})
    assert titles(response) == ["Heel pain"]
    page = response.content.decode()
    for hidden in ("Colleague private", "Colleague program", "Other practice"):
        assert hidden not in page


def test_the_tabs_count_what_they_hold(signed_in, programs):
    tabs = {name: count for name, _label, count in signed_in.get(LIST).context["tabs"]}
    assert tabs == {"programs": 1, "templates": 1, "shared": 1}


def test_the_list_is_searchable_by_title(signed_in, clinician):
    ProgramFactory(owner=clinician, title="Calf rehab")
    ProgramFactory(owner=clinician, title="Shoulder week 1")
    assert titles(signed_in.get(LIST, {"q": "CALF"})) == ["Calf rehab"]
    response = signed_in.get(LIST, {"q": "knee"})
    assert titles(response) == []
    assert "Nothing matches “knee”." in response.content.decode()


def test_the_list_shows_how_many_exercises_each_program_has(signed_in, clinician):
    program = ProgramFactory(owner=clinician, title="Calf rehab")
    ProgramItemFactory.create_batch(3, program=program)
    assert "3 exercises" in signed_in.get(LIST).content.decode()


def test_the_list_runs_the_same_number_of_queries_for_2_and_30_programs(
    signed_in, clinician, django_assert_num_queries
):
    for program in ProgramFactory.create_batch(2, owner=clinician):
        ProgramItemFactory.create_batch(2, program=program)
    with CaptureQueriesContext(connection) as two:
        assert len(signed_in.get(LIST).context["programs"]) == 2
    for program in ProgramFactory.create_batch(28, owner=clinician):
        ProgramItemFactory(program=program)
    with django_assert_num_queries(len(two)):
        assert len(signed_in.get(LIST).context["programs"]) == 30


def test_a_patient_is_refused_and_an_anonymous_visitor_sent_to_log_in(client, patient_user):
    assert client.get(LIST).status_code == 302
    assert client.post(NEW, {"title": "x"}).status_code == 302
    client.force_login(patient_user)
    assert client.get(LIST).status_code == 403
    assert client.post(NEW, {"title": "x"}).status_code == 403
    assert not Program.objects.exists()


# --- New program ------------------------------------------------------------------------------


def test_a_clinician_starts_an_empty_program(signed_in, clinician):
    response = signed_in.post(NEW, {"start": "empty", "title": "Knee", "description": "Week 1"})
    program = Program.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("programs:detail", args=[program.pk])
    assert (program.owner, program.title, program.description) == (clinician, "Knee", "Week 1")
    assert not program.is_template


def test_an_empty_program_needs_a_title(signed_in):
    response = signed_in.post(NEW, {"start": "empty", "title": ""})
    assert response.status_code == 200
    assert "This field is required." in response.content.decode()
    assert not Program.objects.exists()


def test_a_program_starts_from_a_template_as_a_copy(signed_in, clinician, colleague):
    template = ProgramFactory(
        owner=colleague, title="Heel pain", is_template=True, shared_with_practice=True
    )
    ProgramItemFactory(program=template, name="Calf Stretch", note="Gently.")
    response = signed_in.post(NEW, {"start": "template", "template": template.pk})
    program = Program.objects.get(owner=clinician)
    assert response["Location"] == reverse("programs:detail", args=[program.pk])
    assert (program.title, program.is_template, program.based_on) == ("Heel pain", False, template)
    assert list(program.items.values_list("name", "note")) == [("Calf Stretch", "Gently.")]
    assert template.items.count() == 1


def test_a_template_of_another_practice_cannot_be_started_from(
    signed_in, clinician, other_clinician
):
    template = ProgramFactory(owner=other_clinician, is_template=True, shared_with_practice=True)
    private = ProgramFactory(owner=ClinicianFactory(practice=clinician.practice), is_template=True)
    for pk in (template.pk, private.pk):
        response = signed_in.post(NEW, {"start": "template", "template": pk})
        assert response.status_code == 200
        assert "Select a valid choice." in response.content.decode()
    assert not Program.objects.filter(owner=clinician).exists()


def test_a_template_must_be_chosen(signed_in):
    response = signed_in.post(NEW, {"start": "template"})
    assert "Choose a template." in response.content.decode()


def test_a_program_starts_from_a_muscle(signed_in, clinician, gastrocnemius):
    response = signed_in.post(
        NEW, {"start": "muscle", "muscle": gastrocnemius.pk, "title": "Gastrocnemius starter"}
    )
    program = Program.objects.get(owner=clinician)
    assert response["Location"] == reverse("programs:detail", args=[program.pk])
    assert program.title == "Gastrocnemius starter"
    assert program.items.count() == 8
    page = signed_in.get(response["Location"]).content.decode()
    assert "Calf Stretch" in page
    assert "Dry Needling" not in page


def test_only_muscles_with_home_exercises_are_offered(signed_in, gastrocnemius):
    muscles = signed_in.get(LIST).context["forms"]["muscle"].fields["muscle"].queryset
    assert list(muscles) == [gastrocnemius]
