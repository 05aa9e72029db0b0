"""Progressions for a patient: "too easy" twice in 14 days suggests the harder variant, "too
hard" twice the easier one (or a lower dosage); one click replaces the patient's copy from
today, keeps the old copy with its logs, and the patient sees a note on /me/."""

import datetime
import logging

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from patients.models import Alert, AssignmentItem
from patients.services.alerts import alerts_evaluate
from patients.services.logs import exercise_day_plan
from patients.services.progressions import (
    assignment_item_change,
    outdated_items,
    progression_suggestions,
)
from tests.factories import AssignmentFactory, ModuleItemFactory, PatientFactory
from tests.patients.dated import NOW, TODAY, ExerciseLogFactory, ItemFactory, days_ago

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def frozen_time():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def chain():
    """Calf raises on both legs -> on one leg -> on a step, as the library links them."""
    step = ModuleItemFactory(name="Calf Raises on a Step", sets=3, reps=8)
    one_leg = ModuleItemFactory(
        module=step.module, name="Calf Raises on One Leg", sets=2, reps=12, harder_variant=step
    )
    both = ModuleItemFactory(
        module=step.module, name="Calf Raises", sets=3, reps=10, harder_variant=one_leg
    )
    return both, one_leg, step


@pytest.fixture
def record(clinician):
    return PatientFactory(clinician=clinician, time_zone="Europe/London")


@pytest.fixture
def program(record):
    return AssignmentFactory(patient=record, starts_on=days_ago(30), title="Calf program")


def assigned(program, library_item, **fields) -> AssignmentItem:
    return ItemFactory(
        assignment=program,
        library_item=library_item,
        library_updated_at=library_item.updated_at,
        name=library_item.name,
        **fields,
    )


def report(item, difficulty, *days):
    for day in days:
        ExerciseLogFactory(item=item, performed_on=days_ago(day), difficulty=difficulty)


def suggestions_for(patient):
    return progression_suggestions(patient_ids=[patient.pk], today=TODAY).get(patient.pk, [])


# --- thresholds ------------------------------------------------------------


def test_too_easy_twice_in_14_days_suggests_the_harder_variant(record, program, chain):
    both, one_leg, _step = chain
    item = assigned(program, one_leg)
    report(item, "too_easy", 1, 13)

    [suggestion] = suggestions_for(record)

    assert suggestion.change == "harder"
    assert suggestion.variant.name == "Calf Raises on a Step"
    assert suggestion.reports == 2
    assert "too easy 2 times in the last 14 days" in suggestion.message


def test_too_easy_once_suggests_nothing(record, program, chain):
    item = assigned(program, chain[0])
    report(item, "too_easy", 1)
    report(item, "about_right", 2, 3)

    assert suggestions_for(record) == []


def test_a_too_easy_report_older_than_14_days_does_not_count(record, program, chain):
    item = assigned(program, chain[0])
    report(item, "too_easy", 1, 14)

    assert suggestions_for(record) == []


def test_too_hard_twice_suggests_the_easier_variant(record, program, chain):
    item = assigned(program, chain[1])
    report(item, "too_hard", 2, 4)

    [suggestion] = suggestions_for(record)

    assert (suggestion.change, suggestion.variant) == ("easier", chain[0])


def test_too_hard_twice_without_an_easier_variant_suggests_a_lower_dosage(record, program, chain):
    item = assigned(program, chain[0])
    report(item, "too_hard", 2, 4)

    [suggestion] = suggestions_for(record)

    assert (suggestion.change, suggestion.variant) == ("dosage", None)
    assert str(suggestion.action) == "Lower the dosage"


def test_too_easy_on_the_last_variant_suggests_nothing(record, program, chain):
    item = assigned(program, chain[2])
    report(item, "too_easy", 1, 2)

    assert suggestions_for(record) == []


def test_an_ended_program_suggests_nothing(record, program, chain):
    item = assigned(program, chain[0])
    report(item, "too_easy", 1, 2)
    program.status = "ended"
    program.save()

    assert suggestions_for(record) == []


# --- applying a change ------------------------------------------------------------


def test_making_it_harder_replaces_the_copy_and_keeps_the_old_one_with_its_logs(
    record, program, chain, clinician
):
    both, one_leg, _step = chain
    item = assigned(program, both, note="Keep your knees straight.", weekdays=0b0010101)
    report(item, "too_easy", 1, 2)

    new = assignment_item_change(item=item, change="harder", by=clinician, today=TODAY)

    item.refresh_from_db()
    assert (item.replaced_on, item.replaced_by) == (TODAY, new)
    assert item.logs.count() == 2
    assert (new.name, new.library_item, new.sets, new.reps) == (
        "Calf Raises on One Leg",
        one_leg,
        2,
        12,
    )
    assert new.instructions == one_leg.instructions
    assert (new.note, new.weekdays, new.order) == (item.note, item.weekdays, item.order)
    assert (new.change, new.changed_on) == ("harder", TODAY)
    assert suggestions_for(record) == []


def test_today_shows_the_new_copy_and_yesterday_the_old_one(record, program, chain, clinician):
    item = assigned(program, chain[0])
    new = assignment_item_change(item=item, change="harder", by=clinician, today=TODAY)

    today = [p.item.pk for p in exercise_day_plan(patient=record, day=TODAY).items]
    yesterday = [p.item.pk for p in exercise_day_plan(patient=record, day=days_ago(1)).items]

    assert today == [new.pk]
    assert yesterday == [item.pk]


def test_making_it_easier_resolves_the_too_hard_alert(record, program, chain, clinician):
    item = assigned(program, chain[1])
    report(item, "too_hard", 1, 2)
    alerts_evaluate()
    assert Alert.objects.filter(patient=record, kind="too_hard", acknowledged_at=None).exists()

    assignment_item_change(item=item, change="easier", by=clinician, today=TODAY)
    alerts_evaluate()

    assert not Alert.objects.filter(patient=record, kind="too_hard", acknowledged_at=None).exists()


def test_a_replaced_copy_cannot_be_changed_again(record, program, chain, clinician, caplog):
    from django.core.exceptions import ValidationError

    item = assigned(program, chain[0])
    assignment_item_change(item=item, change="harder", by=clinician, today=TODAY)

    with caplog.at_level(logging.INFO), pytest.raises(ValidationError, match="already changed"):
        assignment_item_change(item=item, change="harder", by=clinician, today=TODAY)

    assert AssignmentItem.objects.filter(assignment=program).count() == 2
    assert f"item={item.pk}" in caplog.text


def test_a_library_change_is_offered_and_applied_to_the_patients_copy(
    record, program, chain, clinician, frozen_time
):
    item = assigned(program, chain[0])
    assert outdated_items(assignment=program) == []
    frozen_time.shift(datetime.timedelta(minutes=5))
    library_item = chain[0]
    library_item.instructions = "Rise slowly onto the balls of your feet."
    library_item.sets = 4
    library_item.save()

    assert outdated_items(assignment=program) == [item]
    new = assignment_item_change(item=item, change="updated", by=clinician, today=TODAY)

    assert (new.instructions, new.sets, new.change) == (library_item.instructions, 4, "updated")
    assert outdated_items(assignment=program) == []


def test_an_unchanged_library_item_offers_no_update(record, program, chain, clinician):
    from django.core.exceptions import ValidationError

    item = assigned(program, chain[0])

    with pytest.raises(ValidationError):
        assignment_item_change(item=item, change="updated", by=clinician, today=TODAY)


# --- the pages ------------------------------------------------------------


def change_url(item) -> str:
    return reverse("patients:assignment_item_change", args=[item.pk])


def test_the_patient_page_and_the_dashboard_suggest_the_progression(
    client, clinician, record, program, chain
):
    item = assigned(program, chain[0])
    report(item, "too_easy", 1, 2)
    client.force_login(clinician)

    page = client.get(record.get_absolute_url()).content.decode()
    dashboard = client.get(reverse("patients:clinic")).content.decode()

    for html in (page, dashboard):
        assert "Suggested changes" in html
        assert "Progress to “Calf Raises on One Leg”" in html
        assert change_url(item) in html
    assert record.name in dashboard


def test_one_click_applies_it_and_the_patient_sees_the_note(
    client, clinician, record, program, chain
):
    item = assigned(program, chain[0])
    report(item, "too_easy", 1, 2)
    client.force_login(clinician)

    response = client.post(change_url(item), {"change": "harder", "back": "clinic"})

    assert response.status_code == 302
    assert response["Location"] == reverse("patients:clinic")
    new = AssignmentItem.objects.get(replaces=item)
    assert new.name == "Calf Raises on One Leg"
    client.force_login(record.user)
    today = client.get(reverse("patients:today")).content.decode()
    assert "Your clinician made this exercise harder." in today
    assert "Calf Raises on One Leg" in today


def test_the_assignment_page_shows_both_copies_and_the_story_keeps_the_old(
    client, clinician, record, program, chain
):
    item = assigned(program, chain[0])
    assignment_item_change(item=item, change="harder", by=clinician, today=TODAY)
    client.force_login(clinician)

    html = client.get(program.get_absolute_url()).content.decode()

    assert "replaced on 5 Mar 2025 by Calf Raises on One Leg" in html
    assert "Your clinician made this exercise harder." in html


def test_the_assignment_page_offers_the_librarys_newer_version(
    client, clinician, record, program, chain, frozen_time
):
    item = assigned(program, chain[0])
    frozen_time.shift(datetime.timedelta(minutes=5))
    chain[0].save()
    client.force_login(clinician)

    html = client.get(program.get_absolute_url()).content.decode()
    assert "updated in the library" in html
    response = client.post(change_url(item), {"change": "updated", "back": "assignment"})

    assert response["Location"] == program.get_absolute_url()
    new = AssignmentItem.objects.get(replaces=item)
    client.force_login(record.user)
    assert (
        "Your clinician updated this exercise."
        in client.get(reverse("patients:today")).content.decode()
    )
    assert new.change == "updated"


def test_another_clinician_gets_404_and_nothing_changes(
    client, other_clinician, record, program, chain
):
    item = assigned(program, chain[0])
    client.force_login(other_clinician)

    response = client.post(change_url(item), {"change": "harder"})

    assert response.status_code == 404
    assert AssignmentItem.objects.filter(assignment=program).count() == 1


def test_a_patient_gets_403_and_a_get_changes_nothing(client, clinician, record, program, chain):
    item = assigned(program, chain[0])
    client.force_login(record.user)
    assert client.post(change_url(item), {"change": "harder"}).status_code == 403
    client.force_login(clinician)
    assert client.get(change_url(item)).status_code == 405
    assert AssignmentItem.objects.filter(assignment=program).count() == 1


def test_a_bad_change_is_refused_with_a_message(client, clinician, record, program, chain):
    item = assigned(program, chain[2])
    client.force_login(clinician)

    for data in ({"change": "sideways"}, {"change": "harder"}):
        response = client.post(change_url(item), data, follow=True)
        assert response.status_code == 200
        assert list(response.context["messages"])
    assert AssignmentItem.objects.filter(assignment=program).count() == 1
    assert timezone.now() == NOW


def test_the_patients_story_shows_the_old_and_the_new_exercise(
    client, clinician, record, program, chain
):
    item = assigned(program, chain[0])
    report(item, "too_easy", 1, 2)
    assignment_item_change(item=item, change="harder", by=clinician, today=TODAY)
    client.force_login(clinician)

    html = client.get(record.get_absolute_url()).content.decode()

    assert "replaced on 5 Mar 2025" in html
    assert "Calf Raises on One Leg" in html
    assert "Suggested changes" not in html


def test_a_suggestion_card_escapes_the_names_it_shows(client, clinician, record, program, chain):
    """The cards are written by a template tag (patient_cells.suggestion_item): the
    patient's and the exercises' names are text, never markup."""
    both, one_leg, _step = chain
    hostile = "<img src=x onerror=alert(1)>"
    one_leg.name = f"Raises {hostile}"
    one_leg.save()
    record.user.first_name = hostile
    record.user.save()
    both.name = f"Calf {hostile}"
    both.save()
    item = assigned(program, both)
    report(item, "too_easy", 1, 2)
    client.force_login(clinician)

    text = client.get(reverse("patients:clinic")).text

    assert hostile not in text
    assert text.count("&lt;img src=x onerror=alert(1)&gt;") >= 3  # patient, exercise, variant
    assert 'name="csrfmiddlewaretoken"' in text
