"""The pain drawing: a pain log marks body chart areas (several, each with its side), the
clinician's story maps them over the period, and the exports carry them."""

import csv
import datetime
import io
import json

import pytest
from django.urls import reverse
from fhir.resources.R4B.bundle import Bundle

from patients import exports
from patients.models import PainLog, PainLogArea
from patients.services.pain import pain_log_record
from patients.services.pain_map import pain_map
from tests import factories
from trigger.models import BodyArea

pytestmark = pytest.mark.django_db

PAIN_URL = reverse("patients:pain")
ANSWERED = {
    "calf_swollen_warm_red": "False",
    "chest_symptoms": "False",
    "recent_immobilisation": "False",
}


@pytest.fixture
def patient(clinician, patient_user, gastrocnemius):
    return factories.PatientFactory(
        user=patient_user, clinician=clinician, time_zone="Europe/London"
    )


def _areas(*slugs: str) -> list[BodyArea]:
    return list(BodyArea.objects.filter(slug__in=slugs))


def test_a_patient_marks_two_places_on_the_left_and_both_are_stored_with_their_side(
    client, patient
):
    client.force_login(patient.user)

    response = client.post(
        PAIN_URL,
        {"score": "6", "areas": ["back-of-calf-left", "heel-and-sole-left"], **ANSWERED},
    )

    log = PainLog.objects.get()
    assert response.status_code == 302
    assert sorted(a.slug for a in log.areas.all()) == ["back-of-calf-left", "heel-and-sole-left"]
    assert log.areas_text == "Back of calf, left; Heel and sole, left"
    # The region and side are derived from the marks: summaries by region keep working.
    assert (log.region.slug, log.side) == ("back-of-calf", "left")
    assert log.where == "Back of calf, left; Heel and sole, left"
    page = client.get(response["Location"]).content.decode()
    assert "Back of calf, left; Heel and sole, left" in page


def test_marks_on_both_sides_store_both_and_a_midline_area_has_no_side(patient):
    both = pain_log_record(
        patient=patient, score=3, areas=_areas("back-of-calf-left", "back-of-knee-right")
    )
    middle = pain_log_record(patient=patient, score=2, areas=_areas("back-of-neck"))
    assert both.side == "both"
    assert both.areas_text == "Back of knee, right; Back of calf, left"
    assert middle.side == ""
    assert middle.where == "Back of neck"


def test_the_pain_form_draws_the_chart_and_lists_each_place_with_its_sides(client, patient):
    client.force_login(patient.user)

    page = client.get(PAIN_URL).content.decode()

    assert 'class="body-chart body-chart-input"' in page
    assert 'data-area="back-of-calf-left" data-label="Back of calf, left"' in page
    assert (
        '<label class="btn btn-outline-dark" for="pain-area-back-of-calf-left">'
        '<span class="visually-hidden">Back of calf, </span>Left</label>'
    ) in page
    assert "js/body-chart.js" in page


def test_an_unknown_area_is_a_clear_error_and_nothing_is_saved(client, patient):
    client.force_login(patient.user)

    response = client.post(
        PAIN_URL, {"score": "6", "areas": ["back-of-calf-left", "elbow-of-the-moon"], **ANSWERED}
    )

    assert response.status_code == 200
    assert "Choose places from the body chart or the list." in response.content.decode()
    assert not PainLog.objects.exists()
    assert not PainLogArea.objects.exists()
    # What was ticked stays ticked.
    assert 'id="pain-area-back-of-calf-left" data-area="back-of-calf-left" checked' in (
        response.content.decode()
    )


def test_the_story_maps_the_places_marked_in_the_period_with_counts_and_the_latest(
    client, clinician, patient
):
    now = datetime.datetime.now(datetime.UTC)
    calf = _areas("back-of-calf-left")
    pain_log_record(patient=patient, score=5, areas=calf, now=now - datetime.timedelta(days=3))
    pain_log_record(
        patient=patient,
        score=4,
        areas=calf + _areas("heel-and-sole-left"),
        now=now - datetime.timedelta(days=2),
    )
    pain_log_record(patient=patient, score=3, areas=_areas("back-of-knee-right"), now=now)
    pain_log_record(
        patient=patient, score=9, areas=_areas("chest-left"), now=now - datetime.timedelta(days=200)
    )
    client.force_login(clinician)

    response = client.get(reverse("patients:patient_detail", args=[patient.pk]))

    body_map = response.context["pain_map"]
    assert [(t.label, t.count) for t in body_map.tallies] == [
        ("Back of calf, left", 2),
        ("Back of knee, right", 1),
        ("Heel and sole, left", 1),
    ]
    back = {view.view: view for view in body_map.chart}["back"]
    assert [area.slug for area in back.marked] == ["back-of-knee-right"]
    counts = {area.slug: area.count for area in back.areas if area.count}
    assert counts == {"back-of-calf-left": 2, "back-of-knee-right": 1, "heel-and-sole-left": 1}
    page = response.content.decode()
    section = page[page.index('id="pain-map"') :]
    assert (
        '<tr data-area="back-of-calf-left"><th scope="row" class="fw-normal">'
        'Back of calf, left</th><td class="text-end">2</td>' in section
    )
    assert "Back of calf, left, 2 times" in section  # the chart's text alternative


def test_a_period_without_marks_reads_no_chart_and_says_so(
    client, clinician, patient, django_assert_num_queries
):
    """Nothing marked in the period: one query (the marks), no chart to draw, the words."""
    now = datetime.datetime.now(datetime.UTC)
    pain_log_record(patient=patient, score=5, now=now)  # no places marked
    pain_log_record(
        patient=patient, score=9, areas=_areas("chest-left"), now=now - datetime.timedelta(days=200)
    )
    today = now.date()

    with django_assert_num_queries(1):
        body_map = pain_map(patient=patient, start=today - datetime.timedelta(days=30), end=today)
    assert (body_map.chart, body_map.tallies, body_map.latest_at) == ([], [], None)
    with django_assert_num_queries(2):
        marked = pain_map(patient=patient, start=today - datetime.timedelta(days=365), end=today)
    assert [t.slug for t in marked.tallies] == ["chest-left"]

    client.force_login(clinician)
    page = client.get(reverse("patients:patient_detail", args=[patient.pk])).content.decode()
    section = page[page.index('id="pain-map"') :]
    assert "No places were marked on the body chart in this period." in section
    assert "story-map" not in section


def test_another_clinician_cannot_see_the_map(client, other_clinician, patient):
    pain_log_record(patient=patient, score=5, areas=_areas("back-of-calf-left"))
    client.force_login(other_clinician)
    assert client.get(reverse("patients:patient_detail", args=[patient.pk])).status_code == 404


def test_the_exports_carry_the_marked_areas_and_their_laterality(client, clinician, patient):
    pain_log_record(
        patient=patient, score=6, areas=_areas("back-of-calf-left", "heel-and-sole-left")
    )
    pain_log_record(
        patient=patient, score=4, areas=_areas("back-of-calf-left", "back-of-calf-right")
    )
    client.force_login(clinician)

    body = b"".join(
        client.get(reverse("patients:patient_export_csv", args=[patient.pk])).streaming_content
    ).decode("utf-8")
    rows = list(csv.reader(io.StringIO(body[1:])))
    column = rows[0].index("marked on the body chart")
    side = rows[0].index("side")
    assert sorted((row[side], row[column]) for row in rows[1:]) == [
        ("Both sides", "Back of calf, left; Back of calf, right"),
        ("Left", "Back of calf, left; Heel and sole, left"),
    ]

    data = json.loads(
        client.get(reverse("patients:patient_export_fhir", args=[patient.pk])).content
    )
    Bundle.model_validate(data)
    sites = {
        e["resource"]["valueInteger"]: e["resource"]["bodySite"]
        for e in data["entry"]
        if e["resource"]["resourceType"] == "Observation"
    }
    assert sites[6]["text"] == "Back of calf, left; Heel and sole, left"
    laterality = sites[6]["extension"][0]
    assert laterality["url"] == exports.LATERALITY_EXTENSION
    assert laterality["valueCodeableConcept"]["coding"][0]["code"] == "7771000"
    assert sites[4]["extension"][0]["valueCodeableConcept"]["coding"][0]["code"] == "51440002"
