"""The safety screen with each pain log (docs/clinical.md, red flags in a painful calf).

A "yes" shows urgent advice first, pauses the exercise reminders (not the pain check-ins),
raises an urgent alert and is kept with the log; it never blocks the log. All "no" answers
get no reassurance: about half of deep vein thromboses have no symptoms.
"""

import datetime
import re

import pytest
from django.urls import reverse

from patients.models import Alert, Assignment, PainLog, ReminderSchedule
from patients.services.pain import pain_log_record, urgent_advice_for
from tests import factories

UTC = datetime.UTC
pytestmark = pytest.mark.django_db

PAIN_URL = reverse("patients:pain")
EMERGENCY = "Call the emergency number now (999 in the UK, 911 in the US, 112 in the EU)."
SAME_DAY = "Stop your exercises and contact a doctor or your clinician today."
REASSURING = [
    r"\bfine\b",
    r"nothing to worry",
    r"no need to worry",
    r"not serious",
    r"all clear",
    r"\bsafe\b",
    r"\bnormal\b",
    r"\bhealthy\b",
]


@pytest.fixture
def patient(clinician, patient_user):
    return factories.PatientFactory(user=patient_user, clinician=clinician)


@pytest.fixture
def patient_client(client, patient):
    client.force_login(patient.user)
    return client


@pytest.fixture
def schedules(patient):
    """An active program with an exercise reminder and a pain check-in, and an ended one."""
    active = factories.AssignmentFactory(patient=patient)
    ended = factories.AssignmentFactory(patient=patient, status=Assignment.Status.ENDED)
    return {
        "exercise": ReminderSchedule.objects.create(
            assignment=active, kind="exercise", local_time=datetime.time(8)
        ),
        "pain": ReminderSchedule.objects.create(
            assignment=active, kind="pain", local_time=datetime.time(20)
        ),
        "ended": ReminderSchedule.objects.create(
            assignment=ended, kind="exercise", local_time=datetime.time(9)
        ),
    }


def main_html(response) -> str:
    html = response.content.decode()
    return html[html.index("<main") : html.index("</main>")]


def visible_text(html: str) -> str:
    html = re.sub(r"<style.*?</style>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


NO_TO_ALL = {
    "calf_swollen_warm_red": "False",
    "chest_symptoms": "False",
    "recent_immobilisation": "False",
}


def log_pain(client, **answers):
    """Each question answered (no, unless said otherwise), as the form requires."""
    data = {"score": "6", **NO_TO_ALL, **answers}
    return client.post(PAIN_URL, data, follow=True)


def test_a_calf_yes_shows_the_advice_first_alerts_and_pauses_exercise_reminders(
    patient_client, patient, schedules, gastrocnemius
):
    response = log_pain(patient_client, calf_swollen_warm_red="True", chest_symptoms="False")

    log = PainLog.objects.get()
    assert response.redirect_chain == [(reverse("patients:pain_logged", args=[log.pk]), 302)]
    main = main_html(response)
    # The advice box is the very first thing in <main>, before "Saved." and everything else.
    first_tag = re.search(r"<main[^>]*>\s*<div[^>]*>\s*(<div[^>]*>)", main).group(1)
    assert 'role="alert"' in first_tag and 'id="urgent-advice"' in first_tag
    assert main.index('role="alert"') < main.index("Saved.")
    assert main.index('role="alert"') < main.index("If one calf becomes swollen")
    text = visible_text(main)
    assert SAME_DAY in text
    assert "These signs can come from a blood clot (deep vein thrombosis)" in text
    # The library's own advice for its urgent differential.
    assert "Stop the exercises and contact a doctor the same day." in text
    assert "sent an urgent alert to your clinician and paused your exercise reminders" in text
    assert EMERGENCY not in text

    alert = Alert.objects.get()
    assert (alert.patient, alert.kind, alert.severity) == (
        patient,
        Alert.Kind.RED_FLAG,
        Alert.Severity.URGENT,
    )
    assert alert.pain_log == log and alert.dedupe_key == ""
    assert "one calf newly swollen, warm or red" in alert.message
    assert "shortness of breath" not in alert.message

    for schedule in schedules.values():
        schedule.refresh_from_db()
    assert schedules["exercise"].paused is True
    assert schedules["pain"].paused is False  # the clinician still hears how they are
    assert schedules["ended"].paused is False

    # The answers are kept with the log and its time.
    assert (log.calf_swollen_warm_red, log.chest_symptoms, log.recent_immobilisation) == (
        True,
        False,
        False,
    )
    assert log.has_red_flag and log.logged_at is not None


def test_chest_symptoms_show_the_emergency_number(patient_client, patient, gastrocnemius):
    response = log_pain(patient_client, chest_symptoms="True")

    text = visible_text(main_html(response))
    assert text.strip().startswith("Call for help now")
    assert EMERGENCY in text
    assert "Do not wait" in text
    alert = Alert.objects.get()
    assert alert.severity == Alert.Severity.URGENT
    assert "new shortness of breath, chest pain or coughing up blood" in alert.message


def test_recent_immobilisation_shows_the_same_day_advice(patient_client, patient):
    response = log_pain(patient_client, recent_immobilisation="True")

    text = visible_text(main_html(response))
    assert SAME_DAY in text
    assert EMERGENCY not in text
    assert "recent surgery, a cast or a long time immobile" in Alert.objects.get().message


def test_every_yes_is_its_own_alert(patient_client, patient):
    log_pain(patient_client, calf_swollen_warm_red="True")
    log_pain(patient_client, calf_swollen_warm_red="True")

    assert Alert.objects.filter(kind=Alert.Kind.RED_FLAG).count() == 2


def test_all_no_answers_say_nothing_reassuring(patient_client, patient, schedules):
    response = log_pain(
        patient_client,
        calf_swollen_warm_red="False",
        chest_symptoms="False",
        recent_immobilisation="False",
    )

    main = main_html(response)
    assert 'role="alert"' not in main
    text = visible_text(main).lower()
    assert "saved." in text
    for phrase in REASSURING:
        assert not re.search(phrase, text), phrase
    # The standing warning is there whatever the answers.
    assert "if one calf becomes swollen, warm or red" in text
    assert "call the emergency number now" in text
    assert Alert.objects.count() == 0
    schedules["exercise"].refresh_from_db()
    assert schedules["exercise"].paused is False
    log = PainLog.objects.get()
    assert (log.calf_swollen_warm_red, log.chest_symptoms, log.recent_immobilisation) == (
        False,
        False,
        False,
    )


def test_the_pain_form_says_nothing_reassuring_either(patient_client, patient):
    text = visible_text(main_html(patient_client.get(PAIN_URL))).lower()

    for phrase in REASSURING:
        assert not re.search(phrase, text), phrase
    assert "is one calf newly swollen, warm or red?" in text
    assert "do you have new shortness of breath, chest pain, or are you coughing up blood?" in text
    assert "have you recently had surgery, a cast, or been immobile for a long time" in text


def test_an_unanswered_question_gets_a_clear_message_and_saves_nothing(patient_client):
    response = patient_client.post(
        PAIN_URL, {"score": "6", "calf_swollen_warm_red": "False", "chest_symptoms": "False"}
    )

    assert response.status_code == 200
    main = main_html(response)
    errors = main[main.index('id="form-errors"') :]
    assert "Answer yes or no." in visible_text(errors)
    # The message links to the question's first answer.
    assert 'href="#id_recent_immobilisation_0"' in errors
    assert 'role="alert" id="urgent-advice"' not in main
    assert PainLog.objects.count() == 0 and Alert.objects.count() == 0


def test_no_answer_is_chosen_before_the_patient_chooses(patient_client):
    html = patient_client.get(PAIN_URL).content.decode()

    for name in NO_TO_ALL:
        assert len(re.findall(rf'name="{name}"', html)) == 2
        assert not re.search(rf'name="{name}"[^>]*checked', html)


def test_a_yes_with_another_question_unanswered_shows_the_advice_first_and_saves_nothing(
    patient_client,
):
    response = patient_client.post(
        PAIN_URL, {"score": "6", "calf_swollen_warm_red": "True", "chest_symptoms": "False"}
    )

    assert response.status_code == 200
    main = main_html(response)
    assert SAME_DAY in visible_text(main)
    assert main.index('id="urgent-advice"') < main.index("Answer yes or no.")
    assert "not saved yet" in visible_text(main)
    assert PainLog.objects.count() == 0 and Alert.objects.count() == 0
    assert re.search(
        r'name="calf_swollen_warm_red" value="True"[^>]*checked', response.content.decode()
    )


def test_a_red_flag_never_blocks_the_log_which_keeps_its_score(patient_client, patient):
    log_pain(
        patient_client,
        score="9",
        calf_swollen_warm_red="True",
        chest_symptoms="True",
        recent_immobilisation="True",
    )

    log = PainLog.objects.get()
    assert log.score == 9
    assert log.patient == patient
    message = Alert.objects.get().message
    assert "one calf" in message and "shortness of breath" in message and "surgery" in message


def test_a_yes_with_a_bad_score_shows_the_advice_at_once_but_saves_nothing(patient_client):
    response = patient_client.post(PAIN_URL, {"score": "12", "chest_symptoms": "True"})

    assert response.status_code == 200
    main = main_html(response)
    text = visible_text(main)
    assert EMERGENCY in text
    assert main.index('id="urgent-advice"') < main.index("Choose a number from 0 to 10.")
    assert "not saved yet" in text
    assert PainLog.objects.count() == 0 and Alert.objects.count() == 0
    # The answer stays chosen, so pressing Save again records it.
    assert re.search(r'name="chest_symptoms" value="True"[^>]*checked', response.content.decode())


def test_the_service_saves_alerts_and_pauses_in_one_transaction(patient, schedules):
    log = pain_log_record(
        patient=patient,
        score=5,
        calf_swollen_warm_red=True,
        now=datetime.datetime(2026, 5, 1, 12, tzinfo=UTC),
    )

    assert log.recorded_for == datetime.datetime(2026, 5, 1, 12, tzinfo=UTC)
    assert Alert.objects.get().pain_log == log
    assert ReminderSchedule.objects.filter(paused=True).get() == schedules["exercise"]


def test_the_service_refuses_a_score_outside_the_scale(patient):
    for score in (-1, 11, True, "5"):
        with pytest.raises(ValueError):
            pain_log_record(patient=patient, score=score)
    assert PainLog.objects.count() == 0


def test_the_advice_names_the_librarys_urgent_clot_differentials_once(patient, gastrocnemius):
    # The same condition filed under a second muscle is named once.
    factories.DifferentialFactory(
        name="Deep vein thrombosis", urgent=True, urgent_advice="Same day.", order=1
    )
    log = pain_log_record(patient=patient, score=3, calf_swollen_warm_red=True)

    advice = urgent_advice_for(log)

    assert [d.name.lower() for d in advice.differentials] == ["deep vein thrombosis"]
    assert advice.same_day and not advice.emergency
    assert urgent_advice_for(pain_log_record(patient=patient, score=3)) is None
