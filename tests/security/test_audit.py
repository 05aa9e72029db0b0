"""The audit trail: each audited action leaves its row (who, what, when, from where), the
trail is append-only, administrators read it in the admin and nobody edits it there.

Changes and reads of patient data: django-auditlog's LogEntry (patients/audit.py).
Sign-ins: users.audit.AuthEvent (users/audit.py).
"""

from __future__ import annotations

import pytest
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from auditlog.models import LogEntry
from auditlog.registry import auditlog
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from patients.audit import ACCESS_LOGGED, NOT_A_READ, REGISTERED
from patients.models import Invitation, PainLog
from patients.urls import clinic_patterns
from users.audit import AppendOnlyError, AuthEvent
from users.models import User

pytestmark = pytest.mark.django_db

ADDRESS = "203.0.113.7"
PASSWORD = "correct horse battery"
LOGIN = "/accounts/login/"


def _entries(instance, action=None):
    entries = LogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(instance), object_id=instance.pk
    )
    return entries.filter(action=action) if action is not None else entries


# --- What is registered ------------------------------------------------------------------------


def test_every_patient_model_and_the_user_model_are_registered():
    for model in [*REGISTERED, User]:
        assert auditlog.contains(model), model


def test_secrets_and_noise_are_never_logged():
    assert "token_hash" in auditlog.get_model_fields(Invitation)["exclude_fields"]
    assert {"password", "session_salt", "last_login"} <= set(
        auditlog.get_model_fields(User)["exclude_fields"]
    )


def test_an_invitation_entry_holds_no_token_hash(theirs):
    entry = _entries(theirs.invitation, LogEntry.Action.CREATE).get()

    assert "token_hash" not in entry.changes
    assert theirs.invitation.token_hash not in str(entry.changes)


def test_a_new_password_leaves_no_trace_in_the_trail(patient_user):
    patient_user.set_password("a brand new passphrase")
    patient_user.save()

    for entry in _entries(patient_user):
        assert "password" not in (entry.changes or {})


# --- Changes -----------------------------------------------------------------------------------


def test_a_clinicians_change_names_the_actor_the_fields_and_the_address(client, theirs):
    clinician, patient = theirs.clinician, theirs.patient
    client.force_login(clinician)

    response = client.post(
        reverse("patients:patient_edit", kwargs={"pk": patient.pk}),
        {
            "first_name": "Renamed",
            "last_name": patient.user.last_name,
            "email": patient.user.email,
            "phone": "",
            "time_zone": "Europe/Paris",
        },
        REMOTE_ADDR=ADDRESS,
    )

    assert response.status_code == 302
    user_entry = _entries(patient.user, LogEntry.Action.UPDATE).latest()
    assert user_entry.actor == clinician
    assert user_entry.remote_addr == ADDRESS
    assert user_entry.changes["first_name"][1] == "Renamed"
    patient_entry = _entries(patient, LogEntry.Action.UPDATE).latest()
    assert patient_entry.changes["time_zone"][1] == "Europe/Paris"
    assert patient_entry.actor == clinician


def test_a_pain_log_by_the_patient_is_a_create_entry_by_the_patient(client, theirs):
    client.force_login(theirs.patient_user)

    response = client.post(
        reverse("patients:pain"),
        {
            "score": "6",
            "calf_swollen_warm_red": "False",
            "chest_symptoms": "False",
            "recent_immobilisation": "False",
        },
        REMOTE_ADDR=ADDRESS,
    )

    assert response.status_code == 302
    log = PainLog.objects.filter(patient=theirs.patient).latest("id")
    entry = _entries(log, LogEntry.Action.CREATE).get()
    assert entry.actor == theirs.patient_user
    assert entry.remote_addr == ADDRESS
    assert entry.changes["score"][1] == "6"


def test_ending_an_assignment_is_an_update_entry(client, theirs):
    client.force_login(theirs.clinician)

    client.post(
        reverse("patients:assignment_status", kwargs={"pk": theirs.assignment.pk}),
        {"action": "end"},
    )

    entry = _entries(theirs.assignment, LogEntry.Action.UPDATE).latest()
    assert entry.changes["status"] == ["active", "ended"]
    assert entry.actor == theirs.clinician


def test_a_forged_forwarded_for_header_is_not_believed(client, theirs):
    client.force_login(theirs.clinician)

    client.get(
        reverse("patients:patient_detail", kwargs={"pk": theirs.patient.pk}),
        REMOTE_ADDR=ADDRESS,
        HTTP_X_FORWARDED_FOR="198.51.100.66",
    )

    assert _entries(theirs.patient, LogEntry.Action.ACCESS).get().remote_addr == ADDRESS


def test_behind_a_trusted_proxy_the_address_it_saw_is_kept(client, theirs, settings):
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    client.force_login(theirs.clinician)

    client.get(
        reverse("patients:patient_detail", kwargs={"pk": theirs.patient.pk}),
        REMOTE_ADDR="10.0.0.2",
        HTTP_X_FORWARDED_FOR="198.51.100.66, 192.0.2.10",
    )

    # The proxy appended the address it saw (the last); the first is the client's claim.
    assert _entries(theirs.patient, LogEntry.Action.ACCESS).get().remote_addr == "192.0.2.10"


# --- Reads and exports -------------------------------------------------------------------------


def _read(client, name: str, pk: int, **extra):
    return client.get(reverse(name, kwargs={"pk": pk}), **extra)


@pytest.mark.parametrize(
    ("name", "target", "kind"),
    [
        ("patients:patient_detail", "patient", "read"),
        ("patients:patient_edit", "patient", "read"),
        ("patients:assign", "patient", "read"),
        ("patients:patient_erase", "patient", "read"),
        ("patients:assignment_detail", "assignment", "read"),
        ("patients:assignment_edit", "assignment", "read"),
        ("patients:assignment_item_edit", "assignment_item", "read"),
        ("patients:patient_export_csv", "patient", "export"),
        ("patients:patient_export_fhir", "patient", "export"),
    ],
)
def test_a_clinicians_read_or_export_of_a_record_is_logged(client, theirs, name, target, kind):
    record = getattr(theirs, target)
    client.force_login(theirs.clinician)
    before = timezone.now()

    response = _read(client, name, record.pk, REMOTE_ADDR=ADDRESS)
    if hasattr(response, "streaming_content"):
        b"".join(response.streaming_content)

    assert response.status_code == 200
    entry = _entries(record, LogEntry.Action.ACCESS).get()
    assert entry.actor == theirs.clinician
    assert entry.remote_addr == ADDRESS
    assert entry.timestamp >= before
    clinician = theirs.clinician
    assert entry.additional_data == {
        "access": kind,
        "page": name,
        "patient_id": theirs.patient.pk,
        "actor_username": clinician.username,
        "actor_name": clinician.get_full_name(),
    }


def test_the_story_hands_its_record_to_the_trail_which_does_not_read_it_again(client, theirs):
    client.force_login(theirs.clinician)

    with CaptureQueriesContext(connection) as queries:
        response = _read(client, "patients:patient_detail", theirs.patient.pk)

    assert response.status_code == 200
    entry = _entries(theirs.patient, LogEntry.Action.ACCESS).get()
    assert (entry.object_repr, entry.additional_data["patient_id"]) == (
        str(theirs.patient),
        theirs.patient.pk,
    )
    patient_reads = [
        q["sql"] for q in queries if q["sql"].startswith('SELECT "patients_patient"."id"')
    ]
    assert len(patient_reads) == 1  # the access helper's, scoped to the clinician


def test_a_refused_acknowledgement_shows_the_record_again_and_is_logged_as_a_read(client, theirs):
    client.force_login(theirs.clinician)

    response = client.post(
        reverse("patients:alert_acknowledge", kwargs={"pk": theirs.alert.pk}),
        {f"alert-{theirs.alert.pk}-note": "x" * 5000},
    )

    assert response.status_code == 200
    entry = _entries(theirs.patient, LogEntry.Action.ACCESS).get()
    assert entry.actor == theirs.clinician
    assert entry.additional_data["page"] == "patients:alert_acknowledge"


def test_the_dashboard_logs_one_read_per_patient_shown(client, mine, theirs):
    client.force_login(theirs.clinician)

    response = client.get(reverse("patients:clinic"), REMOTE_ADDR=ADDRESS)

    assert response.status_code == 200
    entry = _entries(theirs.patient, LogEntry.Action.ACCESS).get()
    assert entry.actor == theirs.clinician
    assert entry.remote_addr == ADDRESS
    assert entry.additional_data["access"] == "list"
    assert entry.additional_data["page"] == "patients:clinic"
    assert entry.additional_data["patient_id"] == theirs.patient.pk
    assert entry.additional_data["actor_username"] == theirs.clinician.username
    # Only the patients on the page: not the other clinician's.
    assert not _entries(mine.patient, LogEntry.Action.ACCESS).exists()


def test_a_dashboard_search_that_finds_nobody_logs_nothing(client, theirs):
    client.force_login(theirs.clinician)

    client.get(reverse("patients:clinic"), {"q": "nobody by that name"})

    assert not LogEntry.objects.filter(action=LogEntry.Action.ACCESS).exists()


def test_every_clinic_page_is_logged_as_a_read_or_says_why_not():
    clinic_pages = {f"patients:{pattern.name}" for pattern in clinic_patterns}

    unaccounted = clinic_pages - set(ACCESS_LOGGED) - set(NOT_A_READ)

    assert not unaccounted, f"clinic pages with no read entry and no reason: {unaccounted}"
    assert not set(ACCESS_LOGGED) & set(NOT_A_READ)


def test_each_read_is_its_own_entry(client, theirs):
    client.force_login(theirs.clinician)
    url = reverse("patients:patient_detail", kwargs={"pk": theirs.patient.pk})

    client.get(url)
    client.get(url)

    assert _entries(theirs.patient, LogEntry.Action.ACCESS).count() == 2


def test_a_refused_read_logs_no_access(client, mine, theirs):
    client.force_login(mine.clinician)

    response = client.get(reverse("patients:patient_detail", kwargs={"pk": theirs.patient.pk}))

    assert response.status_code == 404
    assert not _entries(theirs.patient, LogEntry.Action.ACCESS).exists()


def test_a_patients_own_pages_are_not_logged_as_reads(client, theirs):
    client.force_login(theirs.patient_user)

    client.get(reverse("patients:today"))
    client.get(reverse("patients:history"))

    assert not LogEntry.objects.filter(action=LogEntry.Action.ACCESS).exists()


@pytest.mark.parametrize("name", ["patients:my_data_json", "patients:my_data_csv"])
def test_a_patients_download_of_their_data_is_logged_as_an_export(client, theirs, name):
    client.force_login(theirs.patient_user)

    response = client.get(reverse(name), REMOTE_ADDR=ADDRESS)

    assert response.status_code == 200
    entry = _entries(theirs.patient, LogEntry.Action.ACCESS).get()
    assert entry.actor == theirs.patient_user
    assert entry.additional_data["access"] == "export"
    assert entry.additional_data["page"] == name
    assert entry.additional_data["patient_id"] == theirs.patient.pk
    assert entry.remote_addr == ADDRESS


# --- Sign-ins ----------------------------------------------------------------------------------


def test_a_sign_in_is_recorded_with_who_when_and_where(client, clinician, own_cache):
    before = timezone.now()

    client.post(
        LOGIN,
        {"login": "clinician", "password": PASSWORD},
        REMOTE_ADDR=ADDRESS,
        HTTP_USER_AGENT="Firefox on a tablet",
    )

    event = AuthEvent.objects.get(kind=AuthEvent.Kind.LOGIN)
    assert event.user == clinician
    assert event.remote_addr == ADDRESS
    assert event.user_agent == "Firefox on a tablet"
    assert event.via == "login"  # /accounts/login/, allauth's view under our name
    assert event.created_at >= before


def test_a_wrong_password_is_one_failed_sign_in_naming_the_account(client, clinician, own_cache):
    client.post(LOGIN, {"login": "clinician", "password": "guess"}, REMOTE_ADDR=ADDRESS)

    event = AuthEvent.objects.get()
    assert event.kind == AuthEvent.Kind.LOGIN_FAILED
    assert event.user == clinician
    assert event.attempted_login == ""
    assert event.remote_addr == ADDRESS


def test_a_failed_sign_in_for_an_unknown_name_keeps_the_name_typed(client, own_cache):
    client.post(LOGIN, {"login": "nobody.here", "password": "guess"}, REMOTE_ADDR=ADDRESS)

    event = AuthEvent.objects.get()
    assert event.kind == AuthEvent.Kind.LOGIN_FAILED
    assert event.user is None
    assert event.attempted_login == "nobody.here"


def test_a_wrong_sign_in_code_is_a_failed_sign_in(client, theirs, mailoutbox, own_cache):
    client.post(reverse("account_request_login_code"), {"email": theirs.patient_user.email})
    assert len(mailoutbox) == 1

    client.post(reverse("account_confirm_login_code"), {"code": "000000"})

    event = AuthEvent.objects.get(kind=AuthEvent.Kind.LOGIN_FAILED)
    assert event.user == theirs.patient_user
    assert event.via == "account_confirm_login_code"


def test_a_wrong_two_factor_code_is_a_failed_sign_in(client, clinician, own_cache):
    TOTP.activate(clinician, generate_totp_secret())
    client.post(LOGIN, {"login": "clinician", "password": PASSWORD})

    client.post(reverse("mfa_authenticate"), {"code": "000000"})

    event = AuthEvent.objects.get(kind=AuthEvent.Kind.LOGIN_FAILED)
    assert event.user == clinician
    assert event.via == "mfa_authenticate"
    assert not AuthEvent.objects.filter(kind=AuthEvent.Kind.LOGIN).exists()


def test_an_invitation_link_sign_in_and_a_refused_link_are_recorded(client, theirs, own_cache):
    url = reverse("patients:invitation", kwargs={"token": theirs.invitation_token})

    assert client.post(url, REMOTE_ADDR=ADDRESS).status_code == 302
    login = AuthEvent.objects.get(kind=AuthEvent.Kind.LOGIN)
    assert login.user == theirs.patient_user
    assert login.via == "patients:invitation"

    client.logout()
    assert client.post(url, REMOTE_ADDR=ADDRESS).status_code == 410  # used: gone
    client.post(reverse("patients:invitation", kwargs={"token": "not-a-token"}))
    used, unknown = AuthEvent.objects.filter(kind=AuthEvent.Kind.LOGIN_FAILED).order_by("id")
    assert used.user == theirs.patient_user
    assert used.via == "patients:invitation"
    assert used.remote_addr == ADDRESS
    assert unknown.user is None


def test_signing_out_is_recorded(client, clinician):
    client.force_login(clinician)

    client.post(reverse("account_logout"))

    assert AuthEvent.objects.filter(kind=AuthEvent.Kind.LOGOUT, user=clinician).exists()


def test_a_hostile_user_agent_is_stored_cut_and_without_nul(client, clinician, own_cache):
    client.post(
        LOGIN,
        {"login": "clinician", "password": PASSWORD},
        HTTP_USER_AGENT="evil\x00" + "x" * 1000,
    )

    event = AuthEvent.objects.get(kind=AuthEvent.Kind.LOGIN)
    assert "\x00" not in event.user_agent
    assert len(event.user_agent) == 300


# --- Append-only ---------------------------------------------------------------------------------


def test_sign_in_events_cannot_be_changed_or_deleted(clinician):
    event = AuthEvent.objects.create(kind=AuthEvent.Kind.LOGIN, user=clinician)

    event.kind = AuthEvent.Kind.LOGOUT
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        event.delete()
    with pytest.raises(AppendOnlyError):
        AuthEvent.objects.filter(pk=event.pk).update(kind=AuthEvent.Kind.LOGOUT)
    with pytest.raises(AppendOnlyError):
        AuthEvent.objects.all().delete()
    assert AuthEvent.objects.get(pk=event.pk).kind == AuthEvent.Kind.LOGIN


# --- In the admin: administrators read, nobody edits ---------------------------------------------


@pytest.fixture
def audited(client, theirs):
    """One access entry and one sign-in event to look at."""
    client.force_login(theirs.clinician)
    client.get(reverse("patients:patient_detail", kwargs={"pk": theirs.patient.pk}))
    client.logout()
    return _entries(theirs.patient, LogEntry.Action.ACCESS).get()


def test_an_administrator_reads_the_trail_and_the_sign_ins(client, administrator, audited):
    client.force_login(administrator)

    changelist = client.get(reverse("admin:auditlog_logentry_changelist"))
    detail = client.get(reverse("admin:auditlog_logentry_change", args=[audited.pk]))
    sign_ins = client.get(reverse("admin:users_authevent_changelist"))

    assert changelist.status_code == 200
    assert detail.status_code == 200
    assert str(audited.remote_addr) in detail.text
    assert 'name="_save"' not in detail.text
    assert sign_ins.status_code == 200
    assert "Sign-in events" in client.get(reverse("admin:index")).text


def test_not_even_a_superuser_can_add_change_or_delete_entries(client, administrator, audited):
    assert administrator.is_superuser
    client.force_login(administrator)
    event = AuthEvent.objects.latest("id")
    count = LogEntry.objects.count()

    for url in (
        reverse("admin:auditlog_logentry_add"),
        reverse("admin:auditlog_logentry_delete", args=[audited.pk]),
        reverse("admin:users_authevent_add"),
        reverse("admin:users_authevent_delete", args=[event.pk]),
    ):
        assert client.get(url).status_code == 403, url
        assert client.post(url, {"post": "yes"}).status_code == 403, url
    client.post(
        reverse("admin:auditlog_logentry_change", args=[audited.pk]),
        {"object_repr": "tampered", "remote_addr": "192.0.2.1"},
    )
    response = client.post(
        reverse("admin:auditlog_logentry_changelist"),
        {"action": "delete_selected", "_selected_action": [audited.pk], "post": "yes"},
    )

    assert response.status_code in (200, 302)
    audited.refresh_from_db()
    assert audited.object_repr != "tampered"
    assert audited.remote_addr != "192.0.2.1"
    assert LogEntry.objects.count() == count
    assert AuthEvent.objects.filter(pk=event.pk).exists()


def test_an_editor_sees_none_of_it(client, editor, audited):
    client.force_login(editor)

    for url in (
        reverse("admin:auditlog_logentry_changelist"),
        reverse("admin:auditlog_logentry_change", args=[audited.pk]),
        reverse("admin:users_authevent_changelist"),
    ):
        assert client.get(url).status_code == 403, url
    index = client.get(reverse("admin:index")).text
    assert "Log entries" not in index
    assert "Sign-in events" not in index


@pytest.mark.parametrize("persona", ["clinician", "patient_user"])
def test_clinicians_and_patients_never_reach_it(client, request, persona, audited):
    client.force_login(request.getfixturevalue(persona))

    response = client.get(reverse("admin:auditlog_logentry_changelist"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


def test_a_list_s_entries_are_the_same_however_they_are_written(theirs, mine):
    """On PostgreSQL the dashboard's entries go in as one JSON document; Django's bulk
    insert (the other databases) writes the very same entries."""
    from patients import audit

    shared = {
        "content_type_id": ContentType.objects.get_for_model(theirs.patient).pk,
        "action": LogEntry.Action.ACCESS,
        "actor_id": theirs.clinician.pk,
        "actor_email": theirs.clinician.email,
        "remote_addr": ADDRESS,
        "timestamp": timezone.now(),
        "changes_text": "",
    }
    own = [
        {
            "object_pk": str(patient.pk),
            "object_id": patient.pk,
            "object_repr": '<b>"Name"</b> & ünïcode',
            "additional_data": {"patient_id": patient.pk, "access": "list", "page": "p"},
        }
        for patient in (theirs.patient, mine.patient)
    ]

    def written(cid: str) -> list[dict]:
        entries = LogEntry.objects.filter(cid=cid).order_by("object_id").values()
        return [{k: v for k, v in entry.items() if k not in ("id", "cid")} for entry in entries]

    audit._insert_with_orm({**shared, "cid": "by-orm"}, own)
    by_orm = written("by-orm")
    assert [entry["object_id"] for entry in by_orm] == sorted(p["object_id"] for p in own)
    assert by_orm[0]["object_repr"] == '<b>"Name"</b> & ünïcode'
    if connection.vendor == "postgresql":
        audit._insert_from_json(connection, {**shared, "cid": "by-json"}, own)
        assert written("by-json") == by_orm
