"""The patient's pain log (/me/pain/): the 0–10 scale, where and when, late logs, scoping."""

import datetime
import re

import pytest
import time_machine
from django.urls import reverse

from patients.models import PainLog
from tests import factories

UTC = datetime.UTC
pytestmark = pytest.mark.django_db

PAIN_URL = reverse("patients:pain")
SCORE_MESSAGE = "Choose a number from 0 to 10."
# Each safety question needs an explicit answer (tests/patients/test_safety.py).
ANSWERED = {
    "calf_swollen_warm_red": "False",
    "chest_symptoms": "False",
    "recent_immobilisation": "False",
}


@pytest.fixture
def patient(clinician, patient_user):
    return factories.PatientFactory(
        user=patient_user, clinician=clinician, time_zone="Europe/London"
    )


@pytest.fixture
def patient_client(client, patient):
    client.force_login(patient.user)
    return client


@pytest.fixture
def regions(gastrocnemius):
    from trigger.models import BodyRegion

    return {region.slug: region for region in BodyRegion.objects.all()}


def main_text(response) -> str:
    """The visible text of the page's <main>, tags and scripts stripped."""
    html = response.content.decode()
    main = html[html.index("<main") : html.index("</main>")]
    main = re.sub(r"<style.*?</style>", " ", main, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", main))


def test_the_form_shows_eleven_scores_with_their_anchors(patient_client, regions):
    response = patient_client.get(PAIN_URL)

    assert response.status_code == 200
    html = response.content.decode()
    assert len(re.findall(r'<input type="radio" name="score"', html)) == 11
    assert "<legend>How bad is your pain right now?</legend>" in html
    assert "0 = no pain" in html
    assert "10 = worst pain imaginable" in html
    # Where it hurts: the body chart's areas (the list in chart order: the back of the leg
    # from the knee down), then somewhere else in words (tests/patients/test_pain_drawing.py).
    text = main_text(response)
    assert text.index("Back of knee") < text.index("Back of calf") < text.index("Heel and sole")
    assert text.index("Heel and sole") < text.index("Where else? (a few words)")
    for label in ("On waking", "During activity", "After activity", "At rest", "At night"):
        assert label in text
    assert "This was yesterday" in text


@pytest.mark.parametrize("score", [0, 10])
def test_the_ends_of_the_scale_are_saved(patient_client, patient, score):
    response = patient_client.post(PAIN_URL, {**ANSWERED, "score": str(score)})

    log = PainLog.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("patients:pain_logged", kwargs={"pk": log.pk})
    assert (log.patient, log.score, log.is_late) == (patient, score, False)
    page = patient_client.get(response.url)
    assert "Saved." in main_text(page)
    assert f"{score} out of 10" in main_text(page)


@pytest.mark.parametrize("score", ["11", "-1", "abc", "5.5", "", None])
def test_a_score_outside_0_to_10_or_missing_is_refused_and_nothing_is_saved(patient_client, score):
    data = {"note": "after the walk"}
    if score is not None:
        data["score"] = score

    response = patient_client.post(PAIN_URL, data)

    assert response.status_code == 200
    assert SCORE_MESSAGE in main_text(response)
    assert "Nothing was saved yet" in main_text(response)
    assert PainLog.objects.count() == 0
    # What the patient typed stays on the form.
    assert "after the walk" in response.content.decode()


def test_a_note_over_1000_characters_is_refused(patient_client):
    response = patient_client.post(PAIN_URL, {**ANSWERED, "score": "4", "note": "x" * 1001})

    assert response.status_code == 200
    assert "Keep the note to 1000 characters or fewer (it has 1001)." in main_text(response)
    assert PainLog.objects.count() == 0


def test_a_note_of_1000_characters_is_saved(patient_client):
    patient_client.post(PAIN_URL, {**ANSWERED, "score": "4", "note": "x" * 1000})

    assert len(PainLog.objects.get().note) == 1000


def test_html_in_the_note_is_escaped_where_it_is_shown(patient_client):
    note = '<script>alert("x")</script><b>sore</b>'
    response = patient_client.post(PAIN_URL, {**ANSWERED, "score": "3", "note": note}, follow=True)

    html = response.content.decode()
    assert "<script>alert" not in html
    assert "<b>sore</b>" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&lt;b&gt;sore&lt;/b&gt;" in html


def test_a_region_from_the_library_is_saved_with_its_side(patient_client, regions):
    calf = regions["back-of-calf"]

    response = patient_client.post(
        PAIN_URL,
        {**ANSWERED, "score": "6", "region": str(calf.pk), "side": "left", "timing": "night"},
        follow=True,
    )

    log = PainLog.objects.get()
    assert (log.region, log.side, log.region_other, log.timing) == (
        calf,
        PainLog.Side.LEFT,
        "",
        PainLog.Timing.NIGHT,
    )
    assert "Back of calf, left" in main_text(response)


def test_the_loader_marks_the_limb_regions_as_having_a_side(regions):
    assert {slug for slug, region in regions.items() if region.lateral} == {
        "back-of-calf",
        "heel-and-sole",
        "back-of-knee",
    }


def test_a_region_with_a_side_needs_the_side_and_nothing_is_saved_without_it(
    patient_client, regions
):
    heel = regions["heel-and-sole"]

    for side in ("", "middle"):
        response = patient_client.post(
            PAIN_URL, {**ANSWERED, "score": "6", "region": str(heel.pk), "side": side}
        )
        assert response.status_code == 200
        assert "Choose the side: left, right or both." in main_text(response)
    assert PainLog.objects.count() == 0


def test_a_side_given_for_somewhere_else_is_not_kept(patient_client, regions):
    patient_client.post(
        PAIN_URL,
        {**ANSWERED, "score": "2", "region": "other", "region_other": "neck", "side": "left"},
    )

    assert PainLog.objects.get().side == ""


def test_the_service_keeps_no_side_for_a_region_without_one(patient, regions):
    from patients.services.pain import pain_log_record

    neck = factories.BodyRegionFactory(name="Neck", lateral=False)
    log = pain_log_record(patient=patient, score=3, region=neck, side="left")

    assert log.side == ""
    with pytest.raises(ValueError):
        pain_log_record(patient=patient, score=3, region=regions["back-of-knee"], side="up")


def test_somewhere_else_is_saved_with_its_words(patient_client, regions):
    response = patient_client.post(
        PAIN_URL,
        {**ANSWERED, "score": "2", "region": "other", "region_other": "  left shin  "},
        follow=True,
    )

    log = PainLog.objects.get()
    assert (log.region, log.region_other) == (None, "left shin")
    assert "left shin" in main_text(response)


def test_somewhere_else_needs_a_few_words(patient_client, regions):
    response = patient_client.post(PAIN_URL, {**ANSWERED, "score": "2", "region": "other"})

    assert "Say in a few words where it hurts." in main_text(response)
    assert PainLog.objects.count() == 0


def test_a_region_that_is_not_a_referral_region_is_refused(patient_client, regions):
    elsewhere = factories.BodyRegionFactory(name="Elbow")  # no muscle refers pain there

    for value in (str(elsewhere.pk), "999999", "calf"):
        response = patient_client.post(PAIN_URL, {**ANSWERED, "score": "2", "region": value})
        assert response.status_code == 200
        assert "Choose a place from the list." in main_text(response)
    assert PainLog.objects.count() == 0


def test_an_unknown_timing_is_refused(patient_client):
    response = patient_client.post(PAIN_URL, {**ANSWERED, "score": "2", "timing": "tomorrow"})

    assert "Choose one of the times listed." in main_text(response)
    assert PainLog.objects.count() == 0


def test_a_log_for_yesterday_is_kept_at_the_same_local_time_and_marked_late(
    patient_client, patient
):
    # 09:30 in London in summer (UTC+1) is 08:30 UTC; the day before at the same wall time.
    with time_machine.travel(datetime.datetime(2026, 7, 15, 8, 30, tzinfo=UTC), tick=False):
        response = patient_client.post(
            PAIN_URL, {**ANSWERED, "score": "5", "yesterday": "on"}, follow=True
        )

    log = PainLog.objects.get()
    assert log.is_late is True
    assert log.recorded_for == datetime.datetime(2026, 7, 14, 8, 30, tzinfo=UTC)
    assert "added later" in main_text(response)
    assert "Tuesday 14 July, 09:30" in main_text(response)


def test_a_late_log_across_a_clock_change_keeps_the_wall_clock_time(patient_client, patient):
    # Sunday 29 March 2026, the clocks went forward at 01:00 UTC: 09:00 BST is 08:00 UTC.
    with time_machine.travel(datetime.datetime(2026, 3, 29, 8, 0, tzinfo=UTC), tick=False):
        patient_client.post(PAIN_URL, {**ANSWERED, "score": "5", "yesterday": "on"})

    # 09:00 BST on 29 March -> 09:00 GMT on 28 March = 09:00 UTC.
    assert PainLog.objects.get().recorded_for == datetime.datetime(2026, 3, 28, 9, 0, tzinfo=UTC)


def test_several_logs_a_day_are_kept_and_listed(patient_client, patient):
    patient_client.post(PAIN_URL, {**ANSWERED, "score": "3"})
    patient_client.post(PAIN_URL, {**ANSWERED, "score": "7"})

    assert sorted(PainLog.objects.values_list("score", flat=True)) == [3, 7]
    text = main_text(patient_client.get(PAIN_URL))
    assert "Logged today" in text
    assert "Pain 3 out of 10" in text and "Pain 7 out of 10" in text


def test_the_log_belongs_to_the_active_program(patient_client, patient):
    ended = factories.AssignmentFactory(patient=patient, status="ended")
    active = factories.AssignmentFactory(patient=patient)

    patient_client.post(PAIN_URL, {**ANSWERED, "score": "4"})

    assert PainLog.objects.get().assignment == active != ended


def test_a_refresh_of_the_result_page_does_not_log_again(patient_client):
    response = patient_client.post(PAIN_URL, {**ANSWERED, "score": "4"})
    patient_client.get(response.url)
    patient_client.get(response.url)

    assert PainLog.objects.count() == 1


def test_a_patient_cannot_open_another_patients_result_page(
    client, patient, other_patient_user, clinician
):
    other = factories.PatientFactory(user=other_patient_user, clinician=clinician)
    log = PainLog.objects.create(
        patient=other, score=8, recorded_for=datetime.datetime(2026, 1, 1, tzinfo=UTC)
    )
    client.force_login(patient.user)

    response = client.get(reverse("patients:pain_logged", kwargs={"pk": log.pk}))

    assert response.status_code == 404


def test_a_clinician_is_refused_the_pain_pages(client, clinician, patient):
    log = PainLog.objects.create(
        patient=patient, score=8, recorded_for=datetime.datetime(2026, 1, 1, tzinfo=UTC)
    )
    client.force_login(clinician)

    assert client.get(PAIN_URL).status_code == 403
    assert client.post(PAIN_URL, {**ANSWERED, "score": "3"}).status_code == 403
    assert client.get(reverse("patients:pain_logged", kwargs={"pk": log.pk})).status_code == 403
    assert PainLog.objects.count() == 1


def test_an_anonymous_visitor_is_sent_to_sign_in(client, patient):
    log = PainLog.objects.create(
        patient=patient, score=8, recorded_for=datetime.datetime(2026, 1, 1, tzinfo=UTC)
    )

    for url in (PAIN_URL, reverse("patients:pain_logged", kwargs={"pk": log.pk})):
        response = client.get(url)
        assert response.status_code == 302
        assert response.url.startswith(reverse("login"))


def test_a_patient_login_without_a_record_gets_a_page_not_an_error(client, patient_user):
    client.force_login(patient_user)

    assert client.get(PAIN_URL).status_code == 200
    assert client.post(PAIN_URL, {**ANSWERED, "score": "3"}).status_code == 200
    assert PainLog.objects.count() == 0
