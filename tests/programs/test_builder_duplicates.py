"""The builder asks before adding an exercise the program already has (a page without
JavaScript, a prompt in place with htmx), reorders by drag and drop through one POST of
the new order, and has a skip link to the library search."""

import pytest
from django.urls import reverse

from programs.models import ProgramItem
from tests.factories import ModuleFactory, ModuleItemFactory, ProgramFactory, ProgramItemFactory
from trigger.models import Module

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def signed_in(client, clinician):
    client.force_login(clinician)
    return client


@pytest.fixture
def program(clinician):
    return ProgramFactory(owner=clinician, title="Calf rehab")


@pytest.fixture
def wall_lean():
    module = ModuleFactory(kind=Module.Kind.STRETCHING)
    return ModuleItemFactory(module=module, name="Wall lean", text="Lean on a wall.")


def add_url(program) -> str:
    return reverse("programs:item_add", args=[program.pk])


def test_adding_an_exercise_already_in_the_program_asks_first_and_adds_nothing(
    signed_in, program, wall_lean
):
    signed_in.post(add_url(program), {"library_item": wall_lean.pk})
    response = signed_in.post(add_url(program), {"library_item": wall_lean.pk})
    html = response.content.decode()
    assert response.status_code == 200
    assert "Wall lean is already in this program. Add it again?" in html
    assert 'name="confirm" value="1"' in html
    assert "Don&#x27;t add" in html or "Don't add" in html
    assert program.items.count() == 1


def test_confirming_adds_the_exercise_a_second_time(signed_in, program, wall_lean):
    signed_in.post(add_url(program), {"library_item": wall_lean.pk})
    response = signed_in.post(add_url(program), {"library_item": wall_lean.pk, "confirm": "1"})
    assert response.status_code == 302
    assert program.items.filter(library_item=wall_lean).count() == 2


def test_with_htmx_the_prompt_replaces_the_messages_and_leaves_the_list(
    signed_in, program, wall_lean
):
    signed_in.post(add_url(program), {"library_item": wall_lean.pk})
    response = signed_in.post(add_url(program), {"library_item": wall_lean.pk}, **HTMX)
    html = response.content.decode()
    assert response["HX-Retarget"] == "#builder-messages"
    assert 'data-testid="duplicate-prompt"' in html
    assert "<html" not in html
    assert program.items.count() == 1


def test_a_new_exercise_is_added_without_a_question(signed_in, program, wall_lean):
    response = signed_in.post(add_url(program), {"library_item": wall_lean.pk}, **HTMX)
    assert "already in this program" not in response.content.decode()
    assert program.items.count() == 1


def test_dropping_an_item_saves_the_new_order(signed_in, program):
    first, second, third = (
        ProgramItemFactory(program=program, name=name, order=n)
        for n, name in enumerate(["First", "Second", "Third"])
    )
    url = reverse("programs:item_reorder", args=[program.pk])
    response = signed_in.post(url, {"item": [third.pk, first.pk, second.pk]}, **HTMX)
    assert list(program.items.values_list("name", flat=True)) == ["Third", "First", "Second"]
    html = response.content.decode()
    assert html.index("Third") < html.index("First") < html.index("Second")


def test_an_order_that_does_not_match_the_program_changes_nothing_and_says_so(
    signed_in, program, clinician
):
    mine = ProgramItemFactory(program=program, name="Mine", order=0)
    other = ProgramItemFactory(program=ProgramFactory(owner=clinician), name="Elsewhere")
    url = reverse("programs:item_reorder", args=[program.pk])
    response = signed_in.post(url, {"item": [other.pk, "x"]}, follow=True)
    assert "The list of exercises has changed; reload the page." in response.content.decode()
    assert ProgramItem.objects.get(pk=mine.pk).order == 0


def test_the_builder_has_a_skip_link_to_the_library_search_and_drag_handles(signed_in, program):
    ProgramItemFactory(program=program, name="First")
    html = signed_in.get(program.get_absolute_url()).content.decode()
    assert 'href="#library-search"' in html
    assert 'id="library-search"' in html
    assert "Skip to the library search" in html
    assert 'id="reorder-form"' in html
    assert 'aria-live="polite"' in html
    assert "btn-move-up" in html  # the keyboard's way stays
