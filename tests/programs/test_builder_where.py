"""The builder's library panel has the "where does it hurt?" search as a filter: body chart
areas -> the home items of muscles referring pain there, those explaining the most areas
first."""

import pytest
from django.urls import reverse

from tests.factories import ModuleItemFactory, MuscleFactory, ProgramFactory
from trigger.models import BodyRegion, ReferralZone


@pytest.fixture
def soleus(gastrocnemius):
    soleus = MuscleFactory(name="Soleus")
    ReferralZone.objects.create(
        muscle=soleus, region=BodyRegion.objects.get(slug="heel-and-sole"), text="The heel"
    )
    ModuleItemFactory(module__muscle=soleus, name="Soleus stretch")
    hip = MuscleFactory(name="Gluteus")  # refers nowhere on the chosen areas
    ModuleItemFactory(module__muscle=hip, name="Glute bridge")
    return soleus


def test_the_library_panel_ranks_items_by_how_many_chosen_areas_their_muscle_explains(
    client, clinician, soleus
):
    program = ProgramFactory(owner=clinician)
    client.force_login(clinician)

    response = client.get(
        reverse("programs:detail", args=[program.pk]),
        {"area": ["heel-and-sole-left", "back-of-knee-left"]},
    )

    muscles = [item.module.muscle.name for item in response.context["library_items"]]
    assert muscles[0] == "Gastrocnemius"
    assert set(muscles) == {"Gastrocnemius", "Soleus"}
    assert muscles.index("Soleus") > max(i for i, m in enumerate(muscles) if m == "Gastrocnemius")
    # Adding an item keeps the chosen areas in the panel's query.
    assert "area=heel-and-sole-left&amp;area=back-of-knee-left" in response.content.decode()


def test_an_unknown_area_in_the_panel_is_an_error_not_a_500(client, clinician, soleus):
    program = ProgramFactory(owner=clinician)
    client.force_login(clinician)
    response = client.get(reverse("programs:detail", args=[program.pk]), {"area": "nowhere"})
    assert response.status_code == 200
    assert "nowhere is not an area of the body chart." in response.content.decode()
