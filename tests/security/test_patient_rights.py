"""A patient's rights: all their data to download (JSON, CSV) from /me/, and erasure by
their clinician or an administrator (data gone, reminders stopped, the erasure on record)."""

from __future__ import annotations

import csv
import datetime
import io
import json

import pytest
from allauth.account.models import EmailAddress
from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse
from django.utils import timezone

from patients.models import (
    Alert,
    Assignment,
    AssignmentItem,
    Delivery,
    ExerciseLog,
    Invitation,
    PainLog,
    Patient,
    ReminderSchedule,
)
from patients.reminders import delivery_send, reminders_dispatch
from users.audit import AuthEvent
from users.models import User

pytestmark = pytest.mark.django_db

JSON_URL = "/me/data.json"
CSV_URL = "/me/data.csv"


def _erase_url(patient: Patient) -> str:
    return reverse("patients:patient_erase", kwargs={"pk": patient.pk})


# --- The download ------------------------------------------------------------------------------


def test_the_urls_are_the_public_ones():
    assert reverse("patients:my_data_json") == JSON_URL
    assert reverse("patients:my_data_csv") == CSV_URL
    assert reverse("patients:my_data") == "/me/data/"


def test_the_reminders_page_links_to_the_downloads(client, theirs):
    client.force_login(theirs.patient_user)

    page = client.get(reverse("patients:reminder_settings")).text
    data_page = client.get(reverse("patients:my_data")).text

    assert 'href="/me/data/"' in page
    assert f'href="{JSON_URL}"' in data_page
    assert f'href="{CSV_URL}"' in data_page


def test_the_json_download_holds_everything_about_the_patient(client, theirs):
    theirs.pain_log.calf_swollen_warm_red = True
    theirs.pain_log.save()
    theirs.alert.acknowledgement_note = "Internal: phoned Dr Smith"
    theirs.alert.acknowledged_at = timezone.now()
    theirs.alert.save()
    # A name no file name could hold by chance (a random "Le" is in "filename").
    theirs.patient_user.last_name = "Quillerby"
    theirs.patient_user.save()
    client.force_login(theirs.patient_user)

    response = client.get(JSON_URL)

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert theirs.patient_user.last_name.lower() not in disposition.lower()
    assert "no-store" in response["Cache-Control"]
    data = json.loads(response.content)
    assert data["profile"]["email"] == theirs.patient_user.email
    assert data["profile"]["first_name"] == theirs.patient_user.first_name
    assert data["profile"]["clinician"] == str(theirs.clinician)
    [assignment] = data["assignments"]
    assert assignment["title"] == theirs.assignment.title
    assert [e["name"] for e in assignment["exercises"]] == [theirs.assignment_item.name]
    assert [t["local_time"] for t in assignment["reminder_times"]] == ["08:00"]
    assert [log["id"] for log in data["exercise_logs"]] == [theirs.exercise_log.pk]
    [pain] = data["pain_logs"]
    assert pain["score"] == 4
    assert pain["note"] == "Stiff after the walk"
    assert pain["calf_swollen_warm_red"] is True
    assert pain["chest_symptoms"] is None
    [alert] = data["alerts"]
    assert alert["message"] == "Pain rising"
    assert alert["acknowledged_at"]
    assert [d["id"] for d in data["reminder_deliveries"]] == [theirs.delivery.pk]
    assert [i["id"] for i in data["invitations"]] == [theirs.invitation.pk]
    assert any(event["what"] == "login" for event in data["sign_ins"])
    # Left out: the clinician's working note and every credential.
    text = response.content.decode()
    assert "phoned Dr Smith" not in text
    assert theirs.invitation.token_hash not in text
    assert "password" not in text


def test_the_download_holds_nothing_of_another_patient(client, mine, theirs):
    mine.pain_log.note = "Mine alone"
    mine.pain_log.save()
    mine.patient_user.email = "only.mine@example.net"
    mine.patient_user.save()
    client.force_login(theirs.patient_user)

    for url in (JSON_URL, CSV_URL):
        text = client.get(url).content.decode()
        assert "Mine alone" not in text
        assert "only.mine@example.net" not in text
        assert mine.assignment_item.name not in text


def test_the_csv_download_is_titled_tables_and_neutralises_formulas(client, theirs):
    theirs.pain_log.note = '=HYPERLINK("http://evil.example","click")'
    theirs.pain_log.save()
    client.force_login(theirs.patient_user)

    response = client.get(CSV_URL)

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"].startswith("attachment;")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    titles = [row[0] for row in rows if row and row[0].startswith("# ")]
    for title in ("profile", "assignments", "exercise logs", "pain logs", "reminder times"):
        assert f"# {title}" in titles
    pain_header = rows[rows.index(["# pain logs"]) + 1]
    pain_row = rows[rows.index(["# pain logs"]) + 2]
    note = pain_row[pain_header.index("note")]
    assert note == "'" + theirs.pain_log.note
    assert all(not cell.startswith("=") for row in rows for cell in row)


def test_the_csv_download_neutralises_formulas_for_semicolon_spreadsheets_too(client, theirs):
    theirs.pain_log.note = 'Better today;=HYPERLINK("http://evil.example","click")'
    theirs.pain_log.save()
    client.force_login(theirs.patient_user)

    body = client.get(CSV_URL).content.decode()

    for delimiter in (",", ";"):
        pieces = [
            cell for row in csv.reader(io.StringIO(body), delimiter=delimiter) for cell in row
        ]
        assert not [p for p in pieces if p.lstrip(' "').startswith("=")], delimiter
    assert "Better today;'=HYPERLINK" in body


def test_a_patient_without_a_record_gets_a_404(client, editor):
    user = User.objects.create(username="no.record", role=User.Role.PATIENT)
    client.force_login(user)

    assert client.get(JSON_URL).status_code == 404
    assert client.get(CSV_URL).status_code == 404


# --- Erasure --------------------------------------------------------------------------------------


def test_the_confirmation_page_asks_for_the_name(client, theirs):
    client.force_login(theirs.clinician)

    response = client.get(_erase_url(theirs.patient))

    assert response.status_code == 200
    assert "Erase for good" in response.text
    assert 'name="name"' in response.text


def test_a_wrong_name_erases_nothing(client, theirs):
    client.force_login(theirs.clinician)

    response = client.post(_erase_url(theirs.patient), {"name": "Someone Else"})

    assert response.status_code == 200
    assert "does not match" in response.text
    assert Patient.objects.filter(pk=theirs.patient.pk).exists()
    assert not LogEntry.objects.filter(action=LogEntry.Action.DELETE).exists()


def _patient_rows(patient_id: int) -> dict[str, int]:
    return {
        "patients": Patient.objects.filter(pk=patient_id).count(),
        "assignments": Assignment.objects.filter(patient_id=patient_id).count(),
        "items": AssignmentItem.objects.filter(assignment__patient_id=patient_id).count(),
        "schedules": ReminderSchedule.objects.filter(assignment__patient_id=patient_id).count(),
        "exercise_logs": ExerciseLog.objects.filter(patient_id=patient_id).count(),
        "pain_logs": PainLog.objects.filter(patient_id=patient_id).count(),
        "alerts": Alert.objects.filter(patient_id=patient_id).count(),
        "deliveries": Delivery.objects.filter(patient_id=patient_id).count(),
        "invitations": Invitation.objects.filter(patient_id=patient_id).count(),
    }


def test_erasure_removes_the_data_stops_reminders_and_closes_the_account(
    client, theirs, mailoutbox
):
    patient, user = theirs.patient, theirs.patient_user
    name, email, note = patient.name, user.email, theirs.pain_log.note
    EmailAddress.objects.create(user=user, email=email, primary=True, verified=True)
    # The patient is signed in on their phone; their clinician reads the record first.
    phone = client.__class__()
    phone.force_login(user)
    client.force_login(theirs.clinician)
    client.get(reverse("patients:patient_detail", kwargs={"pk": patient.pk}))
    assert _patient_rows(patient.pk)["pain_logs"] == 1

    response = client.post(_erase_url(patient), {"name": f"  {name.upper()} "})

    assert response.status_code == 302
    assert response["Location"] == reverse("patients:clinic")
    assert set(_patient_rows(patient.pk).values()) == {0}
    assert not PainLog.objects.filter(note=note).exists()
    user.refresh_from_db()
    assert user.username == f"erased-{user.pk}"
    assert (user.first_name, user.last_name, user.email) == ("", "", "")
    assert not user.has_usable_password()
    assert not user.is_active
    assert not EmailAddress.objects.filter(user=user).exists()
    # Signed out everywhere: the phone's session no longer signs anyone in.
    response = phone.get(reverse("patients:today"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
    # Reminders: the delivery that was pending sends nothing, and nothing more is due.
    assert delivery_send(delivery_id=theirs.delivery.pk) is None
    reminders_dispatch(now=timezone.now() + datetime.timedelta(days=2))
    assert not Delivery.objects.filter(patient_id=patient.pk).exists()
    assert mailoutbox == []
    # The clinic no longer lists them.
    assert name not in client.get(reverse("patients:clinic")).text


def test_the_erasure_is_in_the_audit_trail_without_personal_data(client, theirs):
    patient, user = theirs.patient, theirs.patient_user
    name, email = patient.name, user.email
    client.force_login(user)
    client.post(
        reverse("patients:pain"),
        {
            "score": "7",
            "note": "Secret note about my calf",
            "calf_swollen_warm_red": "False",
            "chest_symptoms": "False",
            "recent_immobilisation": "False",
        },
    )
    client.force_login(theirs.clinician)
    client.get(reverse("patients:patient_detail", kwargs={"pk": patient.pk}))
    earlier = LogEntry.objects.count()

    client.post(_erase_url(patient), {"name": name}, REMOTE_ADDR="203.0.113.5")

    erasure = LogEntry.objects.get(
        action=LogEntry.Action.DELETE,
        content_type=ContentType.objects.get_for_model(Patient),
        object_id=patient.pk,
    )
    assert erasure.actor == theirs.clinician
    assert erasure.remote_addr == "203.0.113.5"
    assert erasure.timestamp <= timezone.now()
    record = erasure.additional_data["erasure"]
    assert record["patient_id"] == patient.pk
    assert record["user_id"] == user.pk
    assert record["deleted"]["patients.PainLog"] == 2
    assert record["audit_entries_redacted"] > 0
    # One entry for the erasure, none copying the deleted rows; the earlier entries stay.
    assert LogEntry.objects.count() == earlier + 1
    every_entry = json.dumps(
        list(
            LogEntry.objects.values(
                "object_repr", "changes", "changes_text", "additional_data", "actor_email"
            )
        ),
        default=str,
    )
    for personal in (name, user.first_name, user.last_name, email, "Secret note about my calf"):
        assert personal not in every_entry
    access = LogEntry.objects.filter(action=LogEntry.Action.ACCESS, object_id=patient.pk).get()
    assert access.actor == theirs.clinician
    assert "[erased]" in access.object_repr
    assert not AuthEvent.objects.filter(attempted_login__icontains=email).exists()


def test_an_administrator_can_erase_any_patient(client, administrator, theirs):
    client.force_login(administrator)

    response = client.post(_erase_url(theirs.patient), {"name": theirs.patient.name})

    assert response.status_code == 302
    assert not Patient.objects.filter(pk=theirs.patient.pk).exists()
    assert LogEntry.objects.get(action=LogEntry.Action.DELETE).actor == administrator


def test_another_clinician_gets_a_404_and_nothing_is_erased(client, mine, theirs):
    client.force_login(mine.clinician)

    assert client.get(_erase_url(theirs.patient)).status_code == 404
    response = client.post(_erase_url(theirs.patient), {"name": theirs.patient.name})

    assert response.status_code == 404
    assert _patient_rows(theirs.patient.pk)["patients"] == 1
    assert theirs.patient_user.__class__.objects.get(pk=theirs.patient_user.pk).is_active


@pytest.mark.parametrize("persona", ["patient", "editor"])
def test_a_patient_or_an_editor_cannot_erase(client, theirs, editor, persona):
    user = theirs.patient_user if persona == "patient" else editor
    client.force_login(user)

    response = client.post(_erase_url(theirs.patient), {"name": theirs.patient.name})

    assert response.status_code == 403
    assert Patient.objects.filter(pk=theirs.patient.pk).exists()


def test_erasing_twice_is_a_404_the_second_time(client, theirs):
    client.force_login(theirs.clinician)
    client.post(_erase_url(theirs.patient), {"name": theirs.patient.name})

    response = client.post(_erase_url(theirs.patient), {"name": theirs.patient.name})

    assert response.status_code == 404
    assert LogEntry.objects.filter(action=LogEntry.Action.DELETE).count() == 1


def test_the_other_patients_of_the_clinician_are_untouched(client, theirs):
    from tests.factories import PatientFactory

    neighbour = PatientFactory(clinician=theirs.clinician)
    PainLog.objects.create(patient=neighbour, score=2, recorded_for=timezone.now())
    client.force_login(theirs.clinician)

    client.post(_erase_url(theirs.patient), {"name": theirs.patient.name})

    assert PainLog.objects.filter(patient=neighbour).count() == 1
    assert neighbour.user.__class__.objects.get(pk=neighbour.user.pk).is_active
