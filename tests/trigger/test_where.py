""" "Where does it hurt?" (/library/where/): chosen chart areas -> the muscles whose referral
patterns cover them, ranked by how many of the areas each explains, urgent differentials
first, with a way to start a program from the muscle. Works from GET links alone."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests import factories
from trigger.chart import muscles_for_areas
from trigger.models import BodyArea, BodyRegion, ReferralZone

WHERE = reverse("trigger:where")


def _zone(muscle, region_slug: str, text: str) -> None:
    region = BodyRegion.objects.get(slug=region_slug)
    ReferralZone.objects.create(muscle=muscle, region=region, text=text)


def _areas(*slugs: str) -> list[BodyArea]:
    return list(BodyArea.objects.filter(slug__in=slugs))


@pytest.fixture
def soleus(gastrocnemius):
    """A second muscle referring to the heel only, with a home exercise."""
    soleus = factories.MuscleFactory(name="Soleus")
    _zone(soleus, "heel-and-sole", "The heel")
    factories.ModuleItemFactory(module__muscle=soleus, module__setting="home")
    return soleus


def test_the_muscle_explaining_more_chosen_areas_comes_first(soleus, gastrocnemius):
    matches = muscles_for_areas(_areas("heel-and-sole-left", "back-of-knee-left"))

    assert [(m.muscle.name, len(m.explained)) for m in matches] == [
        ("Gastrocnemius", 2),
        ("Soleus", 1),
    ]
    assert [a.slug for a in matches[1].explained] == ["heel-and-sole-left"]
    assert [z.text for z in matches[1].zones] == ["The heel"]


def test_a_tie_is_broken_by_name_and_an_unreferred_area_finds_nothing(soleus, gastrocnemius):
    matches = muscles_for_areas(_areas("heel-and-sole-right"))
    assert [m.muscle.name for m in matches] == ["Gastrocnemius", "Soleus"]
    assert muscles_for_areas(_areas("head-and-face")) == []
    assert muscles_for_areas([]) == []


def test_a_clinician_taps_heel_and_knee_and_sees_the_gastrocnemius_first_with_dvt_urgent(
    client, clinician, soleus
):
    client.force_login(clinician)

    response = client.get(WHERE, {"area": ["heel-and-sole-left", "back-of-knee-left"]})

    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    matches = response.context["matches"]
    assert [m.muscle.name for m in matches] == ["Gastrocnemius", "Soleus"]
    assert [d.name for d in matches[0].urgent] == ["Deep vein thrombosis", "Compartment syndrome"]
    page = response.content.decode()
    first = page.index('class="card mb-3 where-result"')
    assert page.index("Gastrocnemius", first) < page.index("Soleus", first)
    # The urgent differentials come before the referral zones in the muscle's card.
    assert page.index("Deep vein thrombosis", first) < page.index("Refers pain to:", first)
    assert "Explains 2 of the 2 chosen areas" in page
    assert "Start a program from the Gastrocnemius" in page


def test_a_calf_area_always_shows_deep_vein_thrombosis_first(client, clinician, gastrocnemius):
    tibialis = factories.MuscleFactory(name="Tibialis posterior")
    _zone(tibialis, "back-of-calf", "The calf")
    client.force_login(clinician)

    response = client.get(WHERE, {"area": "back-of-calf-right"})

    assert [d.name for d in response.context["always_shown"]] == ["Deep vein thrombosis"]
    page = response.content.decode()
    assert page.index('id="always-shown"') < page.index('class="card mb-3 where-result"')
    # A knee alone calls for no such warning.
    response = client.get(WHERE, {"area": "back-of-knee-right"})
    assert response.context["always_shown"] == []


def test_each_chart_area_is_a_named_link_that_adds_or_removes_itself(
    client, clinician, gastrocnemius
):
    client.force_login(clinician)

    response = client.get(WHERE, {"area": "heel-and-sole-left"})

    views = {view.view: view for view in response.context["chart"]}
    areas = {area.slug: area for area in views["back"].areas}
    assert areas["heel-and-sole-left"].marked is True
    assert areas["heel-and-sole-left"].href == f"{WHERE}#chart"
    assert areas["back-of-knee-right"].href == (
        f"{WHERE}?area=heel-and-sole-left&area=back-of-knee-right#chart"
    )
    page = response.content.decode()
    assert 'aria-label="Back of knee, right"' in page
    assert "<title>Heel and sole, left</title>" in page
    # The list says the same, each checkbox named with its place and side.
    assert 'id="where-area-heel-and-sole-left" data-area="heel-and-sole-left" checked' in page
    assert '<span class="visually-hidden">Back of knee, </span>Right' in page


def test_an_unknown_area_is_reported_and_left_out_never_a_500(client, clinician, gastrocnemius):
    client.force_login(clinician)

    response = client.get(WHERE, {"area": ["no-such-area", "heel-and-sole-left"]})

    assert response.status_code == 200
    assert "is not an area of the body chart" in response.content.decode()
    assert [a.slug for a in response.context["chosen"]] == ["heel-and-sole-left"]
    assert [m.muscle.name for m in response.context["matches"]] == ["Gastrocnemius"]


def test_an_editor_searches_but_is_offered_no_program(client, editor, gastrocnemius):
    client.force_login(editor)
    response = client.get(WHERE, {"area": "heel-and-sole-left"})
    assert response.status_code == 200
    assert "Start a program" not in response.content.decode()


def test_a_patient_is_refused_and_anonymous_goes_to_log_in(client, patient_user, db):
    response = client.get(WHERE)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    client.force_login(patient_user)
    assert client.get(WHERE).status_code == 403


def test_the_search_runs_the_same_queries_for_one_muscle_or_many(
    client, clinician, gastrocnemius, django_assert_num_queries
):
    client.force_login(clinician)
    params = {"area": ["heel-and-sole-left", "back-of-knee-left"]}
    with CaptureQueriesContext(connection) as one:
        client.get(WHERE, params)
    for index in range(6):
        muscle = factories.MuscleFactory(name=f"Muscle {index}")
        _zone(muscle, "heel-and-sole", "The heel")
        factories.DifferentialFactory(muscle=muscle)
    with django_assert_num_queries(len(one.captured_queries)):
        response = client.get(WHERE, params)
    assert len(response.context["matches"]) == 7
