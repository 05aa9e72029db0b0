"""Erasure is the only way a patient leaves, and it leaves nothing behind.

- Deleting a patient's account in the admin (one by one or "delete selected") is refused
  with a link to the erasure page: a cascade would copy the health data into audit DELETE
  entries that nothing redacts.
- Deleting a clinician's account keeps who did what: audit entries and sign-in events keep
  a snapshot of the actor's name.
- The erasure empties every earlier audit entry about the patient, including entries of
  rows deleted before the erasure (an undone exercise log and its skip reason), and every
  sign-in event of the patient (name typed, address, browser), keeping who, when and what.
"""

from __future__ import annotations

import json

import pytest
from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db.models import ProtectedError
from django.urls import reverse

from patients.audit import log_access
from patients.models import ExerciseLog, PainLog, Patient
from patients.services.logs import exercise_log_record, exercise_log_undo
from tests import factories
from users.audit import AuthEvent, record_auth_event
from users.models import User

pytestmark = pytest.mark.django_db

SKIP_REASON = "Flare-up after chemotherapy on Tuesday"
BROWSER = "Mozilla/5.0 (Linux; Android 14; Pixel 8 of Jane Doe)"


def _erase_url(patient: Patient) -> str:
    return reverse("patients:patient_erase", kwargs={"pk": patient.pk})


def _trail() -> str:
    return json.dumps(
        list(
            LogEntry.objects.values(
                "object_repr",
                "changes",
                "changes_text",
                "serialized_data",
                "additional_data",
                "actor_email",
            )
        ),
        default=str,
    )


# --- Deleting a patient's account in the admin -------------------------------------------------


def test_deleting_a_patients_account_in_the_admin_is_refused_with_a_link_to_the_erasure(
    client, administrator, theirs
):
    user, patient = theirs.patient_user, theirs.patient
    client.force_login(administrator)
    url = reverse("admin:users_user_delete", args=[user.pk])

    page = client.get(url)
    response = client.post(url, {"post": "yes"})

    assert page.status_code == 200
    assert f'href="{_erase_url(patient)}"' in page.text
    assert 'type="submit"' not in page.text.split('id="content"')[1]
    assert response.status_code in (200, 403)
    assert User.objects.filter(pk=user.pk).exists()
    assert Patient.objects.filter(pk=patient.pk).exists()
    assert PainLog.objects.filter(pk=theirs.pain_log.pk).exists()
    # Nothing was copied into DELETE entries.
    assert not LogEntry.objects.filter(action=LogEntry.Action.DELETE).exists()


def test_delete_selected_in_the_admin_refuses_every_patients_account_and_deletes_nothing(
    client, administrator, mine, theirs
):
    spare = factories.PatientUserFactory(username="no.record")
    client.force_login(administrator)
    selected = [mine.patient_user.pk, theirs.patient_user.pk, spare.pk]

    page = client.post(
        reverse("admin:users_user_changelist"),
        {"action": "delete_selected", "_selected_action": selected},
    )
    client.post(
        reverse("admin:users_user_changelist"),
        {"action": "delete_selected", "_selected_action": selected, "post": "yes"},
    )

    assert f'href="{_erase_url(mine.patient)}"' in page.text
    assert f'href="{_erase_url(theirs.patient)}"' in page.text
    assert User.objects.filter(pk__in=selected).count() == 3
    assert Patient.objects.filter(pk__in=[mine.patient.pk, theirs.patient.pk]).count() == 2


def test_a_patients_account_cannot_be_deleted_by_code_either(theirs):
    with pytest.raises(ProtectedError):
        theirs.patient_user.delete()

    assert Patient.objects.filter(pk=theirs.patient.pk).exists()


def test_an_erased_patients_emptied_account_can_then_be_deleted_in_the_admin(
    client, administrator, theirs
):
    client.force_login(theirs.clinician)
    client.post(_erase_url(theirs.patient), {"name": theirs.patient.name})
    client.force_login(administrator)

    client.post(reverse("admin:users_user_delete", args=[theirs.patient_user.pk]), {"post": "yes"})

    assert not User.objects.filter(pk=theirs.patient_user.pk).exists()


# --- Deleting a clinician keeps the trail ------------------------------------------------------


def test_deleting_a_clinician_keeps_their_name_on_their_audit_entries_and_sign_ins(
    client, administrator, clinician
):
    clinician.first_name, clinician.last_name, clinician.email = "Ada", "Clinic", ""
    clinician.save()
    record_auth_event(kind=AuthEvent.Kind.LOGIN, request=None, user=clinician)
    # A read of a record by the clinician who then leaves (the patient has moved on to a
    # colleague: a clinician who still has patients cannot be deleted at all).
    patient = factories.PatientFactory(
        user=factories.PatientUserFactory(username="someone"),
        clinician=factories.ClinicianFactory(username="colleague"),
    )
    entry = log_access(instance=patient, kind="read", page="test", actor=clinician)
    clinician_id = clinician.pk
    client.force_login(administrator)

    client.post(reverse("admin:users_user_delete", args=[clinician_id]), {"post": "yes"})

    assert not User.objects.filter(pk=clinician_id).exists()
    entry.refresh_from_db()
    assert entry.actor is None
    assert entry.additional_data["actor_username"] == "clinician"
    assert entry.additional_data["actor_name"] == "Ada Clinic"
    event = AuthEvent.objects.get(kind=AuthEvent.Kind.LOGIN, username="clinician")
    assert event.user_id is None


def test_the_admin_shows_the_name_of_a_deleted_actor(client, administrator, clinician):
    patient = factories.PatientFactory(
        user=factories.PatientUserFactory(username="someone"), clinician=clinician
    )
    entry = log_access(instance=patient, kind="read", page="test", actor=clinician)
    patient.clinician = factories.ClinicianFactory(username="successor")
    patient.save()
    User.objects.filter(pk=clinician.pk).delete()
    client.force_login(administrator)

    page = client.get(reverse("admin:auditlog_logentry_change", args=[entry.pk]))
    listing = client.get(reverse("admin:auditlog_logentry_changelist"))

    assert "clinician (deleted)" in page.text
    assert "clinician (deleted)" in listing.text


# --- Erasure leaves nothing behind ---------------------------------------------------------


def test_erasure_empties_audit_entries_of_rows_deleted_before_it(client, theirs):
    patient = theirs.patient
    ExerciseLog.objects.filter(pk=theirs.exercise_log.pk).delete()  # today's session free
    log, _ = exercise_log_record(
        patient=patient,
        item=theirs.assignment_item,
        day=patient.local_today(),
        status=ExerciseLog.Status.SKIPPED,
        skip_reason=SKIP_REASON,
    )
    log_id = log.pk
    exercise_log_undo(patient=patient, log=log)
    assert SKIP_REASON in _trail()
    client.force_login(theirs.clinician)

    client.post(_erase_url(patient), {"name": patient.name})

    assert SKIP_REASON not in _trail()
    entries = LogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(ExerciseLog), object_id=log_id
    )
    # Who, when and what kind stay.
    assert sorted(entries.values_list("action", flat=True)) == [
        LogEntry.Action.CREATE,
        LogEntry.Action.DELETE,
    ]


def test_erasure_finds_entries_written_before_the_patient_id_was_recorded(client, theirs):
    """Entries written by an earlier version carry no patient id: the erasure finds the
    deleted rows' entries by the patient they pointed at."""
    patient = theirs.patient
    ExerciseLog.objects.filter(pk=theirs.exercise_log.pk).delete()  # today's session free
    log, _ = exercise_log_record(
        patient=patient,
        item=theirs.assignment_item,
        day=patient.local_today(),
        status=ExerciseLog.Status.SKIPPED,
        skip_reason=SKIP_REASON,
    )
    exercise_log_undo(patient=patient, log=log)
    for entry in LogEntry.objects.all():
        data = dict(entry.additional_data or {})
        data.pop("patient_id", None)
        LogEntry.objects.filter(pk=entry.pk).update(additional_data=data or None)
    client.force_login(theirs.clinician)

    client.post(_erase_url(patient), {"name": patient.name})

    assert SKIP_REASON not in _trail()


def test_erasure_scrubs_the_patients_sign_in_events_and_keeps_who_when_what(
    client, theirs, own_cache
):
    user = theirs.patient_user
    email, username = user.email, user.username
    # A failed sign-in under the address (no account matched: the name typed is kept)
    # and a real sign-in from the patient's phone.
    client.post(
        reverse("account_login"),
        {"login": email.upper() + " ", "password": "wrong"},
        REMOTE_ADDR="198.51.100.23",
        HTTP_USER_AGENT=BROWSER,
    )
    AuthEvent.objects.create(
        kind=AuthEvent.Kind.LOGIN_FAILED, attempted_login=email, remote_addr="198.51.100.24"
    )
    client.post(
        reverse("account_login"),
        {"login": username, "password": "correct horse battery"},
        REMOTE_ADDR="198.51.100.23",
        HTTP_USER_AGENT=BROWSER,
    )
    stranger = AuthEvent.objects.create(
        kind=AuthEvent.Kind.LOGIN_FAILED,
        attempted_login="somebody.else@example.org",
        remote_addr="192.0.2.9",
        user_agent="Other browser",
    )
    events = list(AuthEvent.objects.exclude(pk=stranger.pk).values_list("pk", "kind"))
    assert len(events) >= 3
    client.force_login(theirs.clinician)

    client.post(_erase_url(theirs.patient), {"name": theirs.patient.name})

    kept = AuthEvent.objects.filter(pk__in=[pk for pk, _ in events])
    assert sorted(kept.values_list("pk", "kind")) == sorted(events)
    for event in kept:
        assert event.remote_addr is None
        assert event.user_agent == ""
        assert email.lower() not in event.attempted_login.lower()
        assert username not in event.username
    signed_in = kept.filter(kind=AuthEvent.Kind.LOGIN).get()
    assert signed_in.user_id == user.pk
    assert signed_in.username == f"erased-{user.pk}"
    stranger.refresh_from_db()
    assert (stranger.remote_addr, stranger.user_agent) == ("192.0.2.9", "Other browser")


def test_erasure_replaces_the_patients_name_snapshot_on_entries_they_wrote(client, theirs):
    user = theirs.patient_user
    first, last = user.first_name, user.last_name
    client.force_login(user)
    client.post(
        reverse("patients:pain"),
        {
            "score": "3",
            "note": "fine",
            "calf_swollen_warm_red": "False",
            "chest_symptoms": "False",
            "recent_immobilisation": "False",
        },
        REMOTE_ADDR="198.51.100.7",
    )
    assert LogEntry.objects.filter(additional_data__actor_username=user.username).exists()
    assert LogEntry.objects.filter(actor=user, remote_addr="198.51.100.7").exists()
    client.force_login(theirs.clinician)

    client.post(_erase_url(theirs.patient), {"name": theirs.patient.name})

    trail = _trail()
    assert first not in trail
    assert last not in trail
    assert f'"actor_username": "{user.username}"' not in trail
    # Their own address goes too; the clinician's entries keep theirs.
    assert not LogEntry.objects.filter(actor=user).exclude(remote_addr=None).exists()
