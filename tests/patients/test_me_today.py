"""The patient's today (/me/), recording sessions, undoing them, and adding yesterday's."""

import datetime
import re

import pytest
import time_machine
from django.db import connection
from django.template.loader import render_to_string
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from patients.models import AssignmentItem, ExerciseLog
from programs import weekdays
from tests.factories import AssignmentFactory, ModuleItemFactory, PatientFactory

pytestmark = pytest.mark.django_db

# Wednesday 5 March 2025, noon in London.
NOW = datetime.datetime(2025, 3, 5, 12, 0, tzinfo=datetime.UTC)
WEDNESDAY = datetime.date(2025, 3, 5)
TUESDAY = datetime.date(2025, 3, 4)
MONDAY = datetime.date(2025, 3, 3)
TODAY_URL = reverse("patients:today")
YESTERDAY_URL = reverse("patients:yesterday")


@pytest.fixture(autouse=True)
def frozen_time():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def record(clinician, patient_user):
    return PatientFactory(user=patient_user, clinician=clinician, time_zone="Europe/London")


@pytest.fixture
def assignment(record):
    return AssignmentFactory(
        patient=record, title="Calf program", starts_on=datetime.date(2025, 1, 1)
    )


def make_item(assignment, name="Wall stretch", **fields) -> AssignmentItem:
    fields.setdefault("instructions", f"How to do the {name}.")
    return AssignmentItem.objects.create(assignment=assignment, name=name, **fields)


@pytest.fixture
def item(assignment):
    return make_item(assignment, sets=3, reps=10)


@pytest.fixture
def signed_in(client, patient_user, record):
    client.force_login(patient_user)
    return client


def log_url(item) -> str:
    return reverse("patients:exercise_log", args=[item.pk])


def post_log(client, item, **data):
    data.setdefault("status", "done")
    data.setdefault("day", WEDNESDAY.isoformat())
    return client.post(log_url(item), data)


# --- who may see and do what ----------------------------------------------------------------


@pytest.mark.parametrize("url", [TODAY_URL, YESTERDAY_URL])
def test_anonymous_visitors_are_sent_to_sign_in(client, url):
    response = client.get(url)

    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_anonymous_posts_are_sent_to_sign_in_and_save_nothing(client, item):
    response = post_log(client, item)

    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))
    assert not ExerciseLog.objects.exists()


def test_a_clinician_is_refused_every_patient_page_and_action(client, clinician, item):
    client.force_login(clinician)

    assert client.get(TODAY_URL).status_code == 403
    assert client.get(YESTERDAY_URL).status_code == 403
    assert post_log(client, item).status_code == 403
    assert not ExerciseLog.objects.exists()


def test_only_the_patients_own_items_and_logs_appear(
    client, clinician, other_patient_user, signed_in, item
):
    other = PatientFactory(user=other_patient_user, clinician=clinician)
    theirs = make_item(
        AssignmentFactory(patient=other, starts_on=datetime.date(2025, 1, 1)), "Their secret item"
    )
    ExerciseLog.objects.create(
        patient=other,
        assignment=theirs.assignment,
        item=theirs,
        performed_on=WEDNESDAY,
        status="skipped",
        skip_reason="Their own reason",
    )

    response = signed_in.get(TODAY_URL)

    assert "Wall stretch" in response.text
    assert "Their secret item" not in response.text
    assert "Their own reason" not in response.text


def test_another_patients_item_is_not_found_and_nothing_is_saved(
    clinician, other_patient_user, signed_in
):
    other = PatientFactory(user=other_patient_user, clinician=clinician)
    theirs = make_item(AssignmentFactory(patient=other, starts_on=datetime.date(2025, 1, 1)))

    response = post_log(signed_in, theirs)

    assert response.status_code == 404
    assert not ExerciseLog.objects.exists()


def test_another_patients_log_cannot_be_undone(clinician, other_patient_user, signed_in):
    other = PatientFactory(user=other_patient_user, clinician=clinician)
    theirs = make_item(AssignmentFactory(patient=other, starts_on=datetime.date(2025, 1, 1)))
    log = ExerciseLog.objects.create(
        patient=other,
        assignment=theirs.assignment,
        item=theirs,
        performed_on=WEDNESDAY,
        status="done",
    )

    response = signed_in.post(reverse("patients:exercise_log_undo", args=[log.pk]))

    assert response.status_code == 404
    assert ExerciseLog.objects.filter(pk=log.pk).exists()


def test_the_log_endpoint_only_accepts_posts(signed_in, item):
    assert signed_in.get(log_url(item)).status_code == 405


# --- what the patient sees ------------------------------------------------------------------


def test_today_shows_each_due_item_with_instructions_dosage_note_and_image(signed_in, assignment):
    library_item = ModuleItemFactory(
        image="library/images/calf.png", image_alt="Standing calf stretch against a wall"
    )
    make_item(
        assignment,
        "Heel drops",
        instructions="Stand on a step.\n\nLower your heels slowly.",
        note="Keep the knee straight.",
        sets=3,
        reps=15,
        times_per_day=2,
        library_item=library_item,
        order=1,
    )
    make_item(assignment, "Wall stretch", hold_seconds=30, order=2)
    make_item(assignment, "Monday only", weekdays=weekdays.to_mask([0]), order=3)

    response = signed_in.get(TODAY_URL)

    text = response.text
    assert response.status_code == 200
    assert text.index("Heel drops") < text.index("Wall stretch")
    assert "Monday only" not in text
    assert "<p>Stand on a step.</p>" in text and "<p>Lower your heels slowly.</p>" in text
    assert "3 sets of 15" in text and "twice a day" in text and "every day" in text
    assert "Keep the knee straight." in text
    assert 'alt="Standing calf stretch against a wall"' in text
    assert "0 of 2 done" in text
    # How hard and how painful are asked after Done, not before it.
    assert "Too easy" not in text and "Pain during the exercise" not in text
    assert "Start today&#x27;s exercises" in text or "Start today's exercises" in text
    assert "Add for yesterday" in text


def test_a_rest_day_and_no_program_are_said_plainly(signed_in, assignment):
    make_item(assignment, "Monday only", weekdays=weekdays.to_mask([0]))

    assert "a rest day" in signed_in.get(TODAY_URL).text

    assignment.delete()
    assert "You have no program for today" in signed_in.get(TODAY_URL).text


# --- recording a session --------------------------------------------------------------------


def test_done_with_difficulty_and_pain_is_recorded_and_shown(signed_in, record, item):
    response = post_log(signed_in, item, session="1", difficulty="too_hard", pain_during="4")

    assert response.status_code == 302
    assert response.url == f"{TODAY_URL}#item-{item.pk}"
    log = ExerciseLog.objects.get()
    assert (log.patient, log.item, log.performed_on, log.session) == (record, item, WEDNESDAY, 1)
    assert (log.status, log.difficulty, log.pain_during, log.is_late) == (
        "done",
        "too_hard",
        4,
        False,
    )
    page = signed_in.get(TODAY_URL).text
    assert "Well done" in page
    assert "Too hard · pain 4/10" in page
    assert "All done for today." in page


def test_a_double_submit_records_once_and_shows_it_as_done(signed_in, item):
    first = post_log(signed_in, item, session="1")
    second = post_log(signed_in, item, session="1")

    assert first.status_code == second.status_code == 302
    assert ExerciseLog.objects.count() == 1
    page = signed_in.get(TODAY_URL).text
    assert "was already recorded" in page
    assert "All done for today." in page


def test_twice_a_day_takes_two_sessions_then_refuses_a_third(signed_in, assignment):
    twice = make_item(assignment, "Heel drops", times_per_day=2)

    post_log(signed_in, twice, session="1")
    assert "1 of 2 done" in signed_in.get(TODAY_URL).text
    post_log(signed_in, twice, session="2")
    third = post_log(signed_in, twice)

    assert third.status_code == 200
    assert "All 2 sessions of this exercise are already recorded" in third.text
    assert "Nothing was saved" in third.text
    assert sorted(ExerciseLog.objects.values_list("session", flat=True)) == [1, 2]
    assert "2 of 2 done" in signed_in.get(TODAY_URL).text
    beyond = post_log(signed_in, twice, session="3")
    assert "has 2 sessions a day" in beyond.text
    assert ExerciseLog.objects.count() == 2


def test_skipping_needs_a_reason(signed_in, item):
    response = post_log(signed_in, item, status="skipped", skip_reason="  ")

    assert response.status_code == 200
    assert "Please say in a few words why you are skipping it." in response.text
    assert not ExerciseLog.objects.exists()


def test_a_skip_reason_is_kept_and_its_html_is_escaped(signed_in, item):
    post_log(signed_in, item, status="skipped", skip_reason="<b>Too sore</b> & tired")

    log = ExerciseLog.objects.get()
    assert (log.status, log.skip_reason) == ("skipped", "<b>Too sore</b> & tired")
    page = signed_in.get(TODAY_URL).text
    assert "&lt;b&gt;Too sore&lt;/b&gt; &amp; tired" in page
    assert "<b>Too sore</b>" not in page


@pytest.mark.parametrize("pain", ["11", "-1", "abc", "4.5"])
def test_pain_outside_0_to_10_gets_a_clear_error_and_saves_nothing(signed_in, item, pain):
    response = post_log(signed_in, item, pain_during=pain)

    assert response.status_code == 200
    assert "Pain is a whole number from 0 (no pain) to 10 (worst imaginable)." in response.text
    assert not ExerciseLog.objects.exists()


def test_a_difficulty_not_offered_gets_an_error_and_saves_nothing(signed_in, item):
    response = post_log(signed_in, item, difficulty="impossible")

    assert "Choose too easy, about right or too hard." in response.text
    assert not ExerciseLog.objects.exists()


@pytest.mark.parametrize("data", [{"status": "maybe"}, {"day": "not-a-date"}, {"day": ""}])
def test_a_tampered_form_gets_an_error_not_a_crash(signed_in, item, data):
    response = post_log(signed_in, item, **data)

    assert response.status_code == 200
    assert "Nothing was saved" in response.text
    assert not ExerciseLog.objects.exists()


def test_an_item_of_a_paused_program_is_refused(signed_in, assignment, item):
    assignment.status = "paused"
    assignment.save()

    response = post_log(signed_in, item)

    assert "not part of your current program" in response.text
    assert not ExerciseLog.objects.exists()


def test_a_session_recorded_today_can_be_undone(signed_in, item):
    post_log(signed_in, item)
    log = ExerciseLog.objects.get()

    response = signed_in.post(reverse("patients:exercise_log_undo", args=[log.pk]))

    assert response.status_code == 302
    assert not ExerciseLog.objects.exists()
    assert "Undone" in signed_in.get(TODAY_URL).text


# --- yesterday ------------------------------------------------------------------------------


def test_yesterdays_items_can_be_added_later_and_are_marked_so(signed_in, assignment):
    tuesday_only = make_item(assignment, "Tuesday walk", weekdays=weekdays.to_mask([1]))

    page = signed_in.get(YESTERDAY_URL).text
    assert "Tuesday walk" in page
    assert "marked as added later" in page

    response = post_log(signed_in, tuesday_only, day=TUESDAY.isoformat(), session="1")

    assert response.url == f"{YESTERDAY_URL}#item-{tuesday_only.pk}"
    log = ExerciseLog.objects.get()
    assert (log.performed_on, log.is_late) == (TUESDAY, True)
    assert "added later" in signed_in.get(YESTERDAY_URL).text
    assert "Tuesday walk" not in signed_in.get(TODAY_URL).text


@pytest.mark.parametrize(
    ("day", "message"),
    [
        (MONDAY, "Exercises can be added for today or yesterday only."),
        (
            datetime.date(2025, 3, 6),
            "You cannot record an exercise for a day that has not come yet.",
        ),
    ],
)
def test_two_days_ago_and_tomorrow_are_refused_with_a_clear_error(signed_in, item, day, message):
    response = post_log(signed_in, item, day=day.isoformat())

    assert response.status_code == 200
    assert message in response.text
    assert not ExerciseLog.objects.exists()


def test_a_patient_far_from_utc_logs_on_their_own_today(signed_in, record, item, frozen_time):
    # 23:30 UTC on Wednesday is 12:30 on Thursday in Auckland.
    frozen_time.move_to(datetime.datetime(2025, 3, 5, 23, 30, tzinfo=datetime.UTC))
    record.time_zone = "Pacific/Auckland"
    record.save()
    thursday = datetime.date(2025, 3, 6)

    assert "Thursday 6 March" in signed_in.get(TODAY_URL).text
    post_log(signed_in, item, day=thursday.isoformat())
    post_log(signed_in, item, day=WEDNESDAY.isoformat())
    refused = post_log(signed_in, item, day=TUESDAY.isoformat())

    assert "today or yesterday only" in refused.text
    assert list(
        ExerciseLog.objects.order_by("performed_on").values_list("performed_on", "is_late")
    ) == [
        (WEDNESDAY, True),
        (thursday, False),
    ]


# --- progress -------------------------------------------------------------------------------


def add_log(item, day, session=1, status="done"):
    ExerciseLog.objects.create(
        patient=item.assignment.patient,
        assignment=item.assignment,
        item=item,
        performed_on=day,
        session=session,
        status=status,
        skip_reason="Busy" if status == "skipped" else "",
    )


def test_progress_for_today_and_the_week_is_shown_as_self_reported(signed_in, assignment):
    twice = make_item(assignment, "Heel drops", times_per_day=2)
    once = make_item(assignment, "Wall stretch")
    add_log(twice, MONDAY, 1)
    add_log(twice, MONDAY, 2)
    add_log(once, MONDAY)
    add_log(once, TUESDAY)
    add_log(twice, WEDNESDAY, 1)
    add_log(once, WEDNESDAY, status="skipped")

    page = signed_in.get(TODAY_URL).text

    # Today: 1 of 3 (a skip is not done). Week: Mon 3 + Tue 1 + Wed 1 of 3 × 3 = 9.
    assert "Today: <strong>1 of 3</strong> sessions done" in page
    assert "This week: <strong>5 of 9</strong> sessions (56%)" in page
    assert "Self-reported" in page


# --- a constant number of queries -----------------------------------------------------------


def count_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_today_runs_the_same_queries_for_2_items_as_for_12_with_logs(
    signed_in, assignment, django_assert_num_queries
):
    items = [make_item(assignment, f"Exercise {n}", times_per_day=2) for n in range(2)]
    signed_in.get(TODAY_URL)  # the first request after signing in also saves the session
    few = count_queries(signed_in, TODAY_URL)
    # Session, user, the patient; the week's programs, their items, the week's logs
    # (services.logs.exercise_today); the questionnaire plans (none open: no answers read).
    assert few == 7

    library_item = ModuleItemFactory(image="library/images/calf.png", image_alt="A calf")
    items += [
        make_item(assignment, f"Exercise {n}", times_per_day=2, library_item=library_item)
        for n in range(2, 12)
    ]
    second = AssignmentFactory(patient=assignment.patient, starts_on=datetime.date(2025, 1, 1))
    items.append(make_item(second, "From a second program"))
    for item in items:
        add_log(item, WEDNESDAY)
        add_log(item, MONDAY)

    with django_assert_num_queries(few):
        response = signed_in.get(TODAY_URL)
    assert response.text.count("1 of 2 done") == 12
    assert count_queries(signed_in, YESTERDAY_URL) <= few


# --- the row writes out the shared snippets -------------------------------------------------


def skip_form(item, session: int, *, error: str = "") -> str:
    """The Skip form of ``item``'s next session on Wednesday, as the page must write it:
    the reason required, and after an error the field marked and the error beside it."""
    field = f"skip-reason-{item.pk}"
    invalid = " is-invalid" if error else ""
    described = f' aria-describedby="skip-error-{item.pk}"' if error else ""
    shown = f'<div class="invalid-feedback d-block" id="skip-error-{item.pk}">{error}</div>'
    return (
        f'<form method="post" action="{reverse("patients:exercise_log", args=[item.pk])}" '
        'class="skip-form" data-submit-once>'
        '<input type="hidden" name="csrfmiddlewaretoken">'
        '<input type="hidden" name="status" value="skipped">'
        f'<input type="hidden" name="day" value="{WEDNESDAY:%Y-%m-%d}">'
        f'<input type="hidden" name="session" value="{session}">'
        f'<label class="form-label" for="{field}">Skipping it? Say why:</label>'
        f'<input class="form-control{invalid}" type="text" name="skip_reason" id="{field}" '
        f'maxlength="300" required value=""{described}>'
        + (shown if error else "")
        + '<button type="submit" class="btn btn-outline-secondary w-100 mt-2">Skip'
        f'<span class="visually-hidden"> {item.name}</span></button></form>'
    )


def squeezed(html: str) -> str:
    """HTML with its whitespace runs made one space and none between tags, and the CSRF
    token (masked anew each time) blanked."""
    html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', 'name="csrfmiddlewaretoken"', html)
    return re.sub(r"\s+", " ", html).replace("> <", "><").strip()


def test_each_row_says_what_the_shared_picture_dosage_steps_and_skip_snippets_say(
    signed_in, assignment
):
    """The Today row (patients/templatetags/today_rows.py) writes out
    trigger/snippets/item_picture.html, how_to.html, and patients/snippets/dosage.html,
    and its own Skip form (a template per row and per
    exercise cost the page most of its time): it must render what they render."""
    drawn = make_item(
        assignment,
        "Calf Raises",
        steps=["Stand facing a worktop.", "Rise onto the balls of your feet."],
        stop_if="Stop if it hurts sharply.",
        illustration="calf-raises",
        illustration_alt="Line drawing of calf raises",
        sets=3,
        reps=10,
        times_per_day=2,
    )
    photographed = make_item(
        assignment,
        "Heel drops",
        library_item=ModuleItemFactory(image="library/images/calf.png", image_alt="A calf"),
        illustration="calf-raises",
        weekdays=weekdays.ALL_DAYS,
    )
    plain = make_item(assignment, "Toe walk", weekdays=weekdays.to_mask([0, 1, 2, 3, 4]))
    add_log(drawn, WEDNESDAY)

    response = signed_in.get(TODAY_URL)
    page = squeezed(response.text)

    for item, session in [(drawn, 2), (photographed, 1), (plain, 1)]:
        snippets = [
            render_to_string(
                "trigger/snippets/item_picture.html",
                {"media": item.media, "drawing": item, "context_id": "today"},
            ),
            render_to_string(
                "trigger/snippets/how_to.html", {"steps": item.steps, "stop_if": item.stop_if}
            ),
            render_to_string("patients/snippets/dosage.html", {"item": item}),
            skip_form(item, session),
        ]
        if item.illustration_path:
            snippets.append(
                render_to_string(
                    "trigger/snippets/item_picture.html",
                    {"media": None, "drawing": item, "size": "thumb"},
                )
            )
        for html in snippets:
            assert squeezed(html) in page, html

    # After a Skip without a reason: the bound form, its error beside the field.
    response = post_log(signed_in, plain, status="skipped", session=1, skip_reason="")
    assert response.status_code == 200
    [error] = response.context["error_form"].errors["skip_reason"]
    html = skip_form(plain, 1, error=error)
    assert squeezed(html) in squeezed(response.text)


# --- a checklist: steps on tap, feedback after Done, advice as tips ---------------------------


def test_each_row_has_its_picture_steps_and_stop_line_behind_a_tap(signed_in, assignment):
    make_item(
        assignment,
        "Calf Raises",
        instructions="Strengthens the gastrocnemius and foot stabilizers.",
        steps=["Stand facing a worktop.", "Rise onto the balls of your feet."],
        stop_if="Stop if it hurts sharply.",
        illustration="calf-raises",
        illustration_alt="Line drawing of calf raises",
        sets=3,
        reps=10,
    )

    text = signed_in.get(TODAY_URL).text

    row = text[text.index('class="checklist-row"') :]
    assert row.index("Calf Raises") < row.index(">Done<") < row.index("<details")
    assert "/static/illustrations/calf-raises.svg" in row
    assert 'alt="Line drawing of calf raises"' in row
    details = row[row.index("<details") :]
    assert "<li>Stand facing a worktop.</li>" in details
    assert "Stop if it hurts sharply." in details
    assert "Strengthens the gastrocnemius and foot stabilizers." in details


def test_after_done_how_it_went_is_one_tap_away_and_saved_on_the_same_log(signed_in, item):
    post_log(signed_in, item, session="1")
    log = ExerciseLog.objects.get()

    page = signed_in.get(TODAY_URL).text
    assert "How did it go? (optional)" in page
    assert reverse("patients:exercise_log_feedback", args=[log.pk]) in page

    response = signed_in.post(
        reverse("patients:exercise_log_feedback", args=[log.pk]),
        {"difficulty": "about_right", "pain_during": "3"},
    )

    assert response.status_code == 302
    log.refresh_from_db()
    assert (log.difficulty, log.pain_during) == ("about_right", 3)
    assert ExerciseLog.objects.count() == 1
    assert "About right · pain 3/10" in signed_in.get(TODAY_URL).text


def test_a_pain_out_of_range_in_the_feedback_saves_nothing_and_says_why(signed_in, item):
    post_log(signed_in, item, session="1")
    log = ExerciseLog.objects.get()

    response = signed_in.post(
        reverse("patients:exercise_log_feedback", args=[log.pk]),
        {"pain_during": "11"},
        follow=True,
    )

    log.refresh_from_db()
    assert log.pain_during is None
    assert "Pain is a whole number from 0" in response.text


def test_another_patients_log_feedback_is_a_404(signed_in, clinician):
    other = AssignmentFactory(starts_on=datetime.date(2025, 1, 1))
    other_item = make_item(other, "Theirs")
    log = ExerciseLog.objects.create(
        patient=other.patient,
        assignment=other,
        item=other_item,
        performed_on=WEDNESDAY,
        status="done",
    )

    response = signed_in.post(
        reverse("patients:exercise_log_feedback", args=[log.pk]), {"pain_during": "2"}
    )

    assert response.status_code == 404
    log.refresh_from_db()
    assert log.pain_during is None


def test_advice_is_a_tip_with_no_done_button_dosage_or_session(signed_in, assignment, item):
    tip = make_item(
        assignment,
        "Wear supportive shoes",
        instructions="Wear supportive shoes with proper heel cushioning.",
        is_advice=True,
        module_kind="posture_footwear",
    )

    text = signed_in.get(TODAY_URL).text

    assert "Keep in mind" in text
    assert "Wear supportive shoes with proper heel cushioning." in text
    assert f'id="item-{tip.pk}"' not in text
    assert reverse("patients:exercise_log", args=[tip.pk]) not in text
    assert "0 of 1 sessions done today" in text
    tips = text[text.index("Keep in mind") :]
    assert "Done" not in tips.split("</section>")[0]
    assert "How hard" not in text


def test_a_log_posted_for_advice_is_refused_and_saves_nothing(signed_in, assignment):
    tip = make_item(assignment, "Wear supportive shoes", is_advice=True)

    response = post_log(signed_in, tip, session="1", difficulty="about_right")

    assert response.status_code == 200
    assert ExerciseLog.objects.count() == 0
    assert "This is advice to keep in mind, not an exercise" in response.text


def test_advice_never_counts_in_the_weeks_progress(signed_in, assignment, item):
    make_item(assignment, "Wear supportive shoes", is_advice=True, times_per_day=3)
    post_log(signed_in, item, session="1")

    text = signed_in.get(TODAY_URL).text

    assert "All done for today." in text
    # Monday to Wednesday: 3 sessions of the one exercise, 1 done; the advice adds none.
    assert "<strong>1 of 3</strong> sessions (33%)" in text
