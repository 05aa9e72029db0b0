"""The builder: a clinician browses the library, adds, edits, reorders and removes items."""

import datetime

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from programs import services as program_services
from programs import weekdays
from programs.models import Program, ProgramItem
from tests.factories import (
    BodyRegionFactory,
    ClinicianFactory,
    ModuleFactory,
    ModuleItemFactory,
    MuscleFactory,
    ProgramFactory,
    ProgramItemFactory,
)
from trigger.models import Module, ReferralZone

HTMX = {"HTTP_HX_REQUEST": "true"}


def detail_url(program: Program) -> str:
    return reverse("programs:detail", args=[program.pk])


def item_url(name: str, item: ProgramItem) -> str:
    return reverse(f"programs:{name}", args=[item.program_id, item.pk])


def program_url(name: str, program: Program) -> str:
    return reverse(f"programs:{name}", args=[program.pk])


def valid_dosage(**changes) -> dict:
    data = {
        "sets": "3",
        "reps": "12",
        "hold_seconds": "",
        "rest_seconds": "",
        "times_per_day": "2",
        "weekdays": ["0", "2", "4"],
        "note": "",
    }
    data.update(changes)
    return data


@pytest.fixture
def program(clinician):
    return ProgramFactory(owner=clinician, title="Calf rehab")


@pytest.fixture
def item(program):
    return ProgramItemFactory(
        program=program, sets=3, reps=15, times_per_day=2, weekdays=weekdays.ALL_DAYS
    )


@pytest.fixture
def signed_in(client, clinician):
    client.force_login(clinician)
    return client


# --- Who may see what --------------------------------------------------------------------


def every_url(program: Program, item: ProgramItem) -> tuple[list[str], list[str]]:
    """(GET urls, POST urls) of one program: the page, the print, every action."""
    gets = [
        program_url("detail", program),
        program_url("print", program),
        program_url("delete", program),
    ]
    posts = [
        program_url("update", program),
        program_url("clone", program),
        program_url("share", program),
        program_url("delete", program),
        program_url("item_add", program),
        program_url("item_reorder", program),
        item_url("item_edit", item),
        item_url("item_refresh", item),
        item_url("item_move", item),
        item_url("item_remove", item),
    ]
    return gets, posts


def test_another_clinician_gets_404_on_every_url_of_a_program(
    client, program, item, other_clinician
):
    client.force_login(other_clinician)
    gets, posts = every_url(program, item)
    for url in gets:
        assert client.get(url).status_code == 404, url
    library_item = ModuleItemFactory()
    for url in posts:
        response = client.post(
            url, {**valid_dosage(), "library_item": library_item.pk, "title": "Mine"}
        )
        assert response.status_code == 404, url
    assert ProgramItem.objects.filter(pk=item.pk).exists()
    assert Program.objects.get(pk=program.pk).title == "Calf rehab"
    assert Program.objects.count() == 1


def test_another_clinician_cannot_reach_an_item_through_their_own_program(
    client, item, other_clinician
):
    own = ProgramFactory(owner=other_clinician)
    client.force_login(other_clinician)
    url = reverse("programs:item_remove", args=[own.pk, item.pk])
    assert client.post(url).status_code == 404
    assert ProgramItem.objects.filter(pk=item.pk).exists()


def test_an_item_is_only_reached_through_its_own_program(signed_in, clinician, item):
    another_program = ProgramFactory(owner=clinician)
    url = reverse("programs:item_remove", args=[another_program.pk, item.pk])
    assert signed_in.post(url).status_code == 404
    assert ProgramItem.objects.filter(pk=item.pk).exists()


def test_a_patient_is_refused_every_programs_page(client, patient_user, program, item):
    client.force_login(patient_user)
    gets, posts = every_url(program, item)
    for url in [reverse("programs:list"), *gets]:
        assert client.get(url).status_code == 403, url
    for url in [reverse("programs:new"), *posts]:
        assert client.post(url, {"title": "x"}).status_code == 403, url
    assert Program.objects.count() == 1


def test_an_anonymous_visitor_is_sent_to_the_login_page(client, program, item):
    gets, posts = every_url(program, item)
    login = reverse("login")
    for url in [reverse("programs:list"), *gets]:
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(f"{login}?next=")
    for url in posts:
        assert client.post(url).status_code == 302
    assert ProgramItem.objects.filter(pk=item.pk).exists()


# --- The builder page ------------------------------------------------------------------------


def test_the_builder_shows_each_item_with_its_dosage_in_words_and_days(signed_in, program):
    ProgramItemFactory(
        program=program,
        name="Calf Stretch",
        instructions="Lean forward against the wall.",
        sets=None,
        reps=3,
        hold_seconds=30,
        times_per_day=2,
        weekdays=weekdays.to_mask([0, 2, 4]),
        note="Keep the back heel down.",
    )
    response = signed_in.get(detail_url(program))
    page = response.content.decode()
    assert response.status_code == 200
    assert "Calf Stretch" in page
    assert "Lean forward against the wall." in page
    assert "hold 30 seconds, repeat 3 times, twice a day" in page
    assert "Mon, Wed, Fri" in page
    assert "Keep the back heel down." in page


def test_html_in_a_note_is_shown_as_text_on_the_builder(signed_in, item):
    item.note = '<script>alert("x")</script>'
    item.save()
    page = signed_in.get(detail_url(item.program)).content.decode()
    assert '<script>alert("x")</script>' not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page


def test_the_builder_runs_the_same_number_of_queries_for_2_and_30_items(
    signed_in, program, django_assert_num_queries
):
    ProgramItemFactory.create_batch(2, program=program)
    with CaptureQueriesContext(connection) as two_items:
        assert signed_in.get(detail_url(program)).status_code == 200
    big = ProgramFactory(owner=program.owner)
    ProgramItemFactory.create_batch(30, program=big)
    with django_assert_num_queries(len(two_items)):
        response = signed_in.get(detail_url(big))
    assert len(response.context["items"]) == 30


# --- The library browser ----------------------------------------------------------------------


@pytest.fixture
def library():
    """Two muscles with home and clinic-only items, one of them referring pain to the heel."""
    calf = MuscleFactory(name="Calf")
    thigh = MuscleFactory(name="Thigh")
    heel = BodyRegionFactory(name="Heel")
    ReferralZone.objects.create(muscle=calf, region=heel, text="heel")
    stretching = ModuleFactory(muscle=calf, kind=Module.Kind.STRETCHING)
    strengthening = ModuleFactory(muscle=calf, kind=Module.Kind.STRENGTHENING, name="Strengthening")
    needling = ModuleFactory(
        muscle=calf, kind=Module.Kind.DRY_NEEDLING, setting=Module.Setting.CLINIC
    )
    thigh_stretching = ModuleFactory(muscle=thigh, kind=Module.Kind.STRETCHING)
    return {
        "heel": heel,
        "calf": calf,
        "stretch": ModuleItemFactory(module=stretching, name="Wall lean", text="Lean on a wall."),
        "raise": ModuleItemFactory(module=strengthening, name="Heel raise", text="Rise up."),
        "needling": ModuleItemFactory(module=needling, name="Needle release", text="Needle."),
        "thigh": ModuleItemFactory(
            module=thigh_stretching, name="Thigh pull", text="Pull the foot."
        ),
    }


def names_in_library(response) -> set[str]:
    return {item.name for item in response.context["library_items"]}


def test_the_library_browser_lists_only_home_items(signed_in, program, library):
    response = signed_in.get(detail_url(program))
    assert names_in_library(response) == {"Wall lean", "Heel raise", "Thigh pull"}
    assert "Needle release" not in response.content.decode()


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"q": "wall"}, {"Wall lean"}),
        ({"q": "rise up"}, {"Heel raise"}),
        ({"q": "needle"}, set()),
        ({"kind": "strengthening"}, {"Heel raise"}),
        ({"kind": "dry_needling"}, {"Wall lean", "Heel raise", "Thigh pull"}),
    ],
)
def test_the_library_browser_searches_and_filters(signed_in, program, library, params, expected):
    response = signed_in.get(detail_url(program), params)
    assert names_in_library(response) == expected


def test_the_library_browser_filters_by_muscle_and_by_body_region(signed_in, program, library):
    by_muscle = signed_in.get(detail_url(program), {"muscle": library["calf"].pk})
    by_region = signed_in.get(detail_url(program), {"region": library["heel"].pk})
    assert names_in_library(by_muscle) == {"Wall lean", "Heel raise"}
    assert names_in_library(by_region) == {"Wall lean", "Heel raise"}


def test_an_htmx_search_returns_only_the_library_results(signed_in, program, library):
    response = signed_in.get(
        detail_url(program), {"q": "wall"}, HTTP_HX_TARGET="library-results", **HTMX
    )
    page = response.content.decode()
    assert "<html" not in page
    assert 'id="library-results"' in page
    assert "Wall lean" in page
    assert "Heel raise" not in page


# --- Adding items ------------------------------------------------------------------------------


def test_adding_a_library_item_copies_its_instructions_and_dosage(signed_in, program, library):
    response = signed_in.post(
        program_url("item_add", program), {"library_item": library["raise"].pk}
    )
    assert response.status_code == 302
    assert response["Location"].startswith(detail_url(program))
    added = program.items.get()
    assert (added.name, added.instructions, added.sets, added.reps) == (
        "Heel raise",
        "Rise up.",
        3,
        10,
    )
    assert "Added Heel raise." in signed_in.get(response["Location"]).content.decode()


def test_adding_keeps_the_library_filters_without_javascript(signed_in, program, library):
    url = program_url("item_add", program) + "?q=heel&kind=strengthening&evil=1"
    response = signed_in.post(url, {"library_item": library["raise"].pk})
    assert response["Location"] == (
        f"{detail_url(program)}?q=heel&kind=strengthening#item-{program.items.get().pk}"
    )


def test_adding_with_htmx_returns_the_item_list_only(signed_in, program, library):
    response = signed_in.post(
        program_url("item_add", program), {"library_item": library["raise"].pk}, **HTMX
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in page
    assert 'id="items"' in page
    assert "Heel raise" in page
    assert "Added Heel raise." in page


def test_a_clinic_only_item_is_refused_with_a_message_and_nothing_is_added(
    signed_in, program, library
):
    response = signed_in.post(
        program_url("item_add", program), {"library_item": library["needling"].pk}, follow=True
    )
    page = response.content.decode()
    assert "Needle release is carried out in the clinic and cannot go into a home program." in page
    assert not program.items.exists()

    htmx = signed_in.post(
        program_url("item_add", program), {"library_item": library["needling"].pk}, **HTMX
    )
    assert "carried out in the clinic" in htmx.content.decode()
    assert not program.items.exists()


def test_adding_an_unknown_library_item_says_so_and_adds_nothing(signed_in, program):
    response = signed_in.post(
        program_url("item_add", program), {"library_item": 999999}, follow=True
    )
    assert "That exercise is no longer in the library." in response.content.decode()
    assert not program.items.exists()


# --- Editing the dosage and the note ------------------------------------------------------------


def test_a_clinician_changes_the_dosage_and_note_of_an_item(signed_in, item):
    data = valid_dosage(sets="4", reps="8", hold_seconds="5", note="Slowly.")
    response = signed_in.post(item_url("item_edit", item), data)
    assert response.status_code == 302
    assert response["Location"] == f"{detail_url(item.program)}#item-{item.pk}"
    item.refresh_from_db()
    assert (item.sets, item.reps, item.hold_seconds, item.times_per_day) == (4, 8, 5, 2)
    assert item.weekdays == weekdays.to_mask([0, 2, 4])
    assert item.note == "Slowly."
    page = signed_in.get(detail_url(item.program)).content.decode()
    assert "4 sets of 8, hold 5 seconds, twice a day" in page
    assert "Mon, Wed, Fri" in page


def test_editing_with_htmx_returns_only_the_item(signed_in, item):
    response = signed_in.post(item_url("item_edit", item), valid_dosage(reps="20"), **HTMX)
    page = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in page
    assert page.count('class="program-item ') == 1
    assert f'id="item-{item.pk}"' in page
    assert "3 sets of 20, twice a day" in page


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("sets", "0", "Sets must be between 1 and 20."),
        ("sets", "21", "Sets must be between 1 and 20."),
        ("reps", "0", "Repetitions must be between 1 and 100."),
        ("reps", "101", "Repetitions must be between 1 and 100."),
        ("hold_seconds", "601", "Hold must be between 0 and 600 seconds."),
        ("hold_seconds", "-1", "Hold must be between 0 and 600 seconds."),
        ("rest_seconds", "601", "Rest must be between 0 and 600 seconds."),
        ("times_per_day", "0", "Times per day must be between 1 and 6."),
        ("times_per_day", "7", "Times per day must be between 1 and 6."),
        ("times_per_day", "", "Times per day must be between 1 and 6."),
        ("weekdays", [], "Choose at least one day."),
    ],
)
@pytest.mark.parametrize("htmx", [False, True], ids=["plain", "htmx"])
def test_an_out_of_range_dosage_is_refused_with_a_clear_message_and_nothing_is_saved(
    signed_in, item, field, value, message, htmx
):
    before = ProgramItem.objects.values().get(pk=item.pk)
    # Every other field changes too, so a partial save would show.
    data = valid_dosage(**{"sets": "5", "reps": "5", "note": "Changed", field: value})
    response = signed_in.post(item_url("item_edit", item), data, **(HTMX if htmx else {}))
    page = response.content.decode()
    assert response.status_code == 200
    assert message in page
    assert "Nothing was saved." in page
    assert ("<html" in page) is not htmx
    assert ProgramItem.objects.values().get(pk=item.pk) == before
    # The item still shows its stored dosage beside the form.
    assert "3 sets of 15, twice a day" in page


# --- Reordering and removing ---------------------------------------------------------------------


def names_in_order(program: Program) -> list[str]:
    return list(program.items.values_list("name", flat=True))


@pytest.fixture
def three_items(program):
    return [
        ProgramItemFactory(program=program, name=name, order=index)
        for index, name in enumerate(["First", "Second", "Third"])
    ]


def test_moving_an_item_up_and_down_reorders_the_program(signed_in, program, three_items):
    first, second, third = three_items
    signed_in.post(item_url("item_move", third), {"direction": "up"})
    assert names_in_order(program) == ["First", "Third", "Second"]
    signed_in.post(item_url("item_move", first), {"direction": "down"})
    assert names_in_order(program) == ["Third", "First", "Second"]
    # The first cannot go further up; an unknown direction changes nothing.
    signed_in.post(item_url("item_move", third), {"direction": "up"})
    signed_in.post(item_url("item_move", first), {"direction": "sideways"})
    assert names_in_order(program) == ["Third", "First", "Second"]
    page = signed_in.get(detail_url(program)).content.decode()
    assert page.index("Third") < page.index("First") < page.index("Second")


def test_moving_with_htmx_returns_the_reordered_list(signed_in, program, three_items):
    response = signed_in.post(item_url("item_move", three_items[0]), {"direction": "down"}, **HTMX)
    page = response.content.decode()
    assert "<html" not in page
    assert page.index("Second") < page.index("First") < page.index("Third")


def test_moving_without_javascript_redirects_back_to_the_item(signed_in, program, three_items):
    second = three_items[1]
    response = signed_in.post(item_url("item_move", second), {"direction": "up"})
    assert response.status_code == 302
    assert response["Location"] == f"{detail_url(program)}#item-{second.pk}"


def test_removing_an_item_takes_it_out_of_the_program(signed_in, program, three_items):
    response = signed_in.post(item_url("item_remove", three_items[1]))
    assert response.status_code == 302
    assert names_in_order(program) == ["First", "Third"]
    htmx = signed_in.post(item_url("item_remove", three_items[0]), **HTMX)
    assert "<html" not in htmx.content.decode()
    assert "Removed First." in htmx.content.decode()
    assert names_in_order(program) == ["Third"]


# --- The snapshot rule ----------------------------------------------------------------------------


def test_a_library_edit_changes_the_program_only_when_the_clinician_refreshes(
    signed_in, program, library
):
    library_item = library["stretch"]
    signed_in.post(program_url("item_add", program), {"library_item": library_item.pk})
    added = program.items.get()
    signed_in.post(item_url("item_edit", added), valid_dosage(note="Go gently."))
    assert "updated in the library" not in signed_in.get(detail_url(program)).content.decode()

    with time_machine.travel(timezone.now() + datetime.timedelta(minutes=5)):
        library_item.instructions = "Lean on a wall, back knee straight."
        library_item.save()

    page = signed_in.get(detail_url(program)).content.decode()
    assert "updated in the library" in page
    assert "Refresh from library" in page
    added.refresh_from_db()
    assert added.instructions == "Lean on a wall."

    response = signed_in.post(item_url("item_refresh", added), **HTMX)
    assert "<html" not in response.content.decode()
    assert "Lean on a wall, back knee straight." in response.content.decode()
    added.refresh_from_db()
    assert added.instructions == "Lean on a wall, back knee straight."
    assert added.note == "Go gently."
    assert "updated in the library" not in signed_in.get(detail_url(program)).content.decode()


# --- Title, templates, cloning and sharing ------------------------------------------------------


def test_a_clinician_renames_a_program(signed_in, program):
    response = signed_in.post(
        program_url("update", program), {"title": "Calf, week 2", "description": "After review."}
    )
    assert response.status_code == 302
    program.refresh_from_db()
    assert (program.title, program.description) == ("Calf, week 2", "After review.")


def test_an_empty_title_is_refused_and_nothing_changes(signed_in, program):
    response = signed_in.post(program_url("update", program), {"title": "", "description": "x"})
    assert response.status_code == 200
    assert "This field is required." in response.content.decode()
    program.refresh_from_db()
    assert (program.title, program.description) == ("Calf rehab", "")


def test_save_as_template_makes_a_template_copy_with_the_items(signed_in, clinician, item):
    response = signed_in.post(program_url("clone", item.program), {"as_template": "1"})
    template = Program.objects.get(is_template=True)
    assert response["Location"] == detail_url(template)
    assert template.owner == clinician
    assert template.title == "Calf rehab"
    assert not template.shared_with_practice
    assert list(template.items.values_list("name", "sets", "reps")) == [(item.name, 3, 15)]
    assert Program.objects.get(pk=item.program_id).is_template is False


def test_cloning_a_program_copies_it(signed_in, item):
    signed_in.post(program_url("clone", item.program))
    copy = Program.objects.exclude(pk=item.program_id).get()
    assert copy.title == "Copy of Calf rehab"
    assert not copy.is_template
    assert copy.items.count() == 1


def test_only_a_template_can_be_shared(signed_in, program):
    response = signed_in.post(program_url("share", program), {"shared": "1"}, follow=True)
    assert "Only templates can be shared with your practice." in response.content.decode()
    program.refresh_from_db()
    assert not program.shared_with_practice


def test_a_shared_template_is_read_only_for_a_colleague_who_can_clone_it(
    client, clinician, item, other_clinician
):
    template = item.program
    template.is_template = True
    template.save()
    colleague = ClinicianFactory(username="colleague", practice=clinician.practice)

    client.force_login(clinician)
    client.post(program_url("share", template), {"shared": "1"})
    template.refresh_from_db()
    assert template.shared_with_practice

    client.force_login(colleague)
    response = client.get(detail_url(template))
    page = response.content.decode()
    assert response.status_code == 200
    assert "read-only" in page
    assert item.name in page
    assert "Clone to my programs" in page
    for control in ("Edit dosage and note", "Remove", "Add from the library", "Delete"):
        assert control not in page
    assert client.get(program_url("print", template)).status_code == 200
    # Every change is refused as if the template did not exist.
    assert client.post(item_url("item_remove", item)).status_code == 404
    assert client.post(item_url("item_edit", item), valid_dosage()).status_code == 404
    assert client.post(program_url("update", template), {"title": "Mine"}).status_code == 404
    assert client.post(program_url("share", template), {"shared": "0"}).status_code == 404
    assert client.post(program_url("delete", template)).status_code == 404
    assert ProgramItem.objects.filter(pk=item.pk).exists()

    response = client.post(program_url("clone", template), {"as_template": "0"})
    copy = Program.objects.get(owner=colleague)
    assert response["Location"] == detail_url(copy)
    assert not copy.is_template
    assert copy.based_on == template
    assert list(copy.items.values_list("name", flat=True)) == [item.name]

    # A clinician of another practice does not see it at all.
    client.force_login(other_clinician)
    assert client.get(detail_url(template)).status_code == 404
    assert client.post(program_url("clone", template)).status_code == 404

    # Unsharing hides it from the colleague again.
    client.force_login(clinician)
    client.post(program_url("share", template), {"shared": "0"})
    client.force_login(colleague)
    assert client.get(detail_url(template)).status_code == 404


def test_deleting_a_program_asks_first_then_deletes_it(signed_in, item):
    program = item.program
    confirm = signed_in.get(program_url("delete", program))
    assert "Delete “Calf rehab”?" in confirm.content.decode()
    assert Program.objects.filter(pk=program.pk).exists()
    response = signed_in.post(program_url("delete", program), follow=True)
    assert response.redirect_chain[-1][0] == reverse("programs:list")
    assert "Deleted Calf rehab." in response.content.decode()
    assert not Program.objects.filter(pk=program.pk).exists()
    assert not ProgramItem.objects.filter(pk=item.pk).exists()


def test_junk_in_the_query_string_is_ignored_rather_than_an_error(signed_in, program, library):
    response = signed_in.get(
        detail_url(program), {"muscle": "abc", "kind": "nonsense", "region": "-1", "q": "x" * 500}
    )
    assert response.status_code == 200
    lists = signed_in.get(reverse("programs:list"), {"tab": "nope", "page": "zz", "q": "y" * 500})
    assert lists.status_code == 200


def test_the_builder_shows_each_exercises_illustration_and_steps(client, clinician, gastrocnemius):
    program = program_services.program_create_from_muscle(owner=clinician, muscle=gastrocnemius)
    client.force_login(clinician)

    text = client.get(program.get_absolute_url()).text

    assert "/static/illustrations/heel-drops.svg" in text
    assert "Lower that heel slowly below the level of the step." in text
    assert text.count("Shown to the patient as a tip") == 3
