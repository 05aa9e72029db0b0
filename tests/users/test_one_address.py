"""One person, one sign-in: an email address designates at most one account.

Each attack of issue 11 is reproduced here and must now fail: a patient adding someone
else's address to capture their code sign-in, a clinician of another practice giving an
existing patient's address to a new (or edited) patient, an address stored with capitals
that could never sign in by code, and legacy data where one address is on two accounts.
"""

from __future__ import annotations

import re
import uuid

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import SESSION_KEY
from django.db import IntegrityError, transaction
from django.test import Client
from django.urls import reverse

from patients.models import Patient
from patients.services import patient_create
from tests.factories import ClinicianFactory, PatientFactory, PatientUserFactory
from users.models import User

pytestmark = pytest.mark.django_db

REQUEST_CODE = "/accounts/login/code/"
CONFIRM_CODE = "/accounts/login/code/confirm/"
CONTACT_THE_CLINIC = "contact your clinic"
CANNOT_USE = (
    "This address cannot be used for this patient. Ask the patient for another address, "
    "or contact support."
)


@pytest.fixture(autouse=True)
def fresh_cache(settings):
    """Rate limits live in the cache: each test starts with an empty one of its own."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": f"test-address-{uuid.uuid4()}",
        }
    }


def _signed_in_as(client) -> int | None:
    value = client.session.get(SESSION_KEY)
    return int(value) if value is not None else None


def _code_from(message) -> str:
    match = re.search(r"^\s*(\d{6})\s*$", message.body, re.MULTILINE)
    assert match, message.body
    return match.group(1)


def _sign_in_by_code(address: str, mailoutbox) -> Client:
    """The owner of ``address`` asks for a code, reads their mail and types it."""
    client = Client()
    sent_before = len(mailoutbox)
    client.post(REQUEST_CODE, {"email": address})
    mine = [m for m in mailoutbox[sent_before:] if m.to == [address.lower()] or m.to == [address]]
    assert mine, f"no code reached {address}"
    client.post(CONFIRM_CODE, {"code": _code_from(mine[-1])})
    return client


# --- Finding 1: capture through a second address -------------------------------------------


@pytest.mark.parametrize("attacker_first", [True, False], ids=["attacker-older", "victim-older"])
def test_a_patient_cannot_capture_another_patients_code_sign_in_with_a_second_address(
    mailoutbox, attacker_first
):
    """The attack: a signed-in patient adds the victim's address on allauth's email page;
    the victim's next code sign-in landed in whichever account allauth found first. Both
    orders of account ids are tried."""
    if attacker_first:
        attacker = PatientFactory(user__username="attacker").user
        victim = PatientFactory(user__username="victim").user
    else:
        victim = PatientFactory(user__username="victim").user
        attacker = PatientFactory(user__username="attacker").user
    attacker_client = Client()
    attacker_client.force_login(attacker)

    response = attacker_client.post(
        reverse("account_email"), {"action_add": "", "email": "victim@example.org"}
    )

    victim_client = _sign_in_by_code("victim@example.org", mailoutbox)
    assert _signed_in_as(victim_client) == victim.pk
    assert response.status_code == 302
    assert not EmailAddress.objects.filter(user=attacker, email="victim@example.org").exists()
    # What the victim logs from now on is in their own record, not the attacker's.
    data = victim_client.get(reverse("patients:my_data_json")).json()
    assert "attacker" not in str(data)


def test_a_patient_opening_the_email_page_is_sent_to_their_app_with_a_message(client):
    patient = PatientFactory(user__username="pat")
    client.force_login(patient.user)

    response = client.get(reverse("account_email"), follow=True)

    assert response.redirect_chain[0] == (reverse("patients:today"), 302)
    assert "Your clinic manages your email address" in response.text


@pytest.mark.parametrize("role", ["clinician", "editor", "admin"])
def test_staff_cannot_add_addresses_on_the_email_page_either(client, role):
    """Nobody adds a second address: an administrator changes a staff member's address in
    the admin, a clinician changes their patient's."""
    user = PatientUserFactory(username=f"staff-{role}", role=role, is_staff=role != "clinician")
    PatientFactory(user__username="victim")
    client.force_login(user)

    response = client.post(
        reverse("account_email"), {"action_add": "", "email": "victim@example.org"}
    )

    assert response.status_code == 302
    assert not EmailAddress.objects.filter(user=user).exists()


# --- Finding 2: the same address on several accounts ---------------------------------------


def _patient_data(**overrides) -> dict:
    return {
        "first_name": "Ada",
        "last_name": "Lovelace",
        "email": "ada@example.org",
        "phone": "",
        "time_zone": "Europe/London",
        **overrides,
    }


@pytest.mark.parametrize("first_practice", ["one", "two"])
def test_a_clinician_of_another_practice_cannot_add_a_patient_with_an_existing_address(
    client, mailoutbox, first_practice
):
    """Whichever practice adds the address first keeps it; the other is told to ask for
    another address, without learning whose it is, and no second account is made."""
    clinicians = {
        "one": ClinicianFactory(username="dr.northfield", first_name="Nora", last_name="Quillerby"),
        "two": ClinicianFactory(username="dr.southwick", first_name="Sam", last_name="Zanwick"),
    }
    first = clinicians[first_practice]
    second = clinicians["two" if first_practice == "one" else "one"]
    first_client = Client()
    first_client.force_login(first)
    first_client.post(reverse("patients:patient_create"), _patient_data())
    original = User.objects.get(email="ada@example.org")

    client.force_login(second)
    response = client.post(
        reverse("patients:patient_create"), _patient_data(email="Ada@Example.org")
    )

    assert response.status_code == 200
    assert CANNOT_USE in response.text
    assert str(original) not in response.text
    assert first.username not in response.text
    assert first.last_name not in response.text
    assert Patient.objects.count() == 1
    assert User.objects.filter(role=User.Role.PATIENT).count() == 1
    assert _signed_in_as(_sign_in_by_code("ada@example.org", mailoutbox)) == original.pk


@pytest.mark.parametrize("existing_is_older", [True, False], ids=["older", "newer"])
def test_an_existing_patient_cannot_be_given_another_practices_patients_address(
    client, mailoutbox, existing_is_older
):
    """The other order of ids: an account that already exists (older or newer than the
    real patient's) is edited to take the real patient's address."""
    other = ClinicianFactory(username="other")
    mine = ClinicianFactory(username="mine")
    if existing_is_older:
        mine_patient = PatientFactory(clinician=mine, user__email="old@example.org")
        real = PatientFactory(clinician=other, user__email="ada@example.org")
    else:
        real = PatientFactory(clinician=other, user__email="ada@example.org")
        mine_patient = PatientFactory(clinician=mine, user__email="old@example.org")
    client.force_login(mine)

    response = client.post(
        reverse("patients:patient_edit", args=[mine_patient.pk]),
        _patient_data(email="ADA@example.org"),
    )

    assert response.status_code == 200
    assert CANNOT_USE in response.text
    mine_patient.user.refresh_from_db()
    assert mine_patient.user.email == "old@example.org"
    assert not EmailAddress.objects.filter(email="ada@example.org").exists()
    assert _signed_in_as(_sign_in_by_code("ada@example.org", mailoutbox)) == real.user.pk


def test_the_database_refuses_a_second_account_with_the_same_address_in_any_case():
    PatientUserFactory(username="first", email="same@example.org")

    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create(username="second", email="same@example.org")
    with pytest.raises(IntegrityError), transaction.atomic():
        # Written straight to the table, past the model's lower-casing.
        User.objects.filter(username="first").update(email="SAME@example.org")
        User.objects.create(username="third", email="same@example.org")


def test_many_accounts_may_have_no_address():
    PatientUserFactory(username="first", email="")
    PatientUserFactory(username="second", email="")

    assert User.objects.filter(email="").count() == 2


# --- Finding 7: an address stored with capitals --------------------------------------------


@pytest.mark.parametrize("typed", ["pat.jones@example.org", "Pat.Jones@Example.ORG"])
def test_an_address_given_with_capitals_signs_in_by_code(mailoutbox, typed):
    clinician = ClinicianFactory()
    patient = patient_create(
        clinician=clinician, first_name="Pat", last_name="Jones", email="Pat.Jones@Example.ORG"
    )

    client = _sign_in_by_code(typed, mailoutbox)

    patient.user.refresh_from_db()
    assert patient.user.email == "pat.jones@example.org"
    assert _signed_in_as(client) == patient.user.pk


# --- Legacy data: one address on two accounts ----------------------------------------------


def _shared_address() -> tuple[User, User]:
    """Data from before the constraint: the address is one account's and a verified
    second address of another."""
    first = PatientFactory(user__username="first", user__email="shared@example.org").user
    second = PatientFactory(user__username="second").user
    EmailAddress.objects.create(user=second, email="shared@example.org", verified=True)
    return first, second


def test_a_code_sign_in_for_an_address_on_two_accounts_is_refused(client, mailoutbox):
    _shared_address()

    response = client.post(REQUEST_CODE, {"email": "shared@example.org"})

    assert response.status_code == 200
    assert CONTACT_THE_CLINIC in response.text
    assert mailoutbox == []
    assert _signed_in_as(client) is None


def test_a_password_reset_for_an_address_on_two_accounts_is_refused(client, mailoutbox):
    _shared_address()

    response = client.post(reverse("account_reset_password"), {"email": "shared@example.org"})

    assert response.status_code == 200
    assert CONTACT_THE_CLINIC in response.text
    assert mailoutbox == []


def test_an_unverified_second_address_never_signs_anyone_in(mailoutbox):
    """A second address that was never verified (legacy data from the email page) does
    not designate its account: the code goes to the address's own account."""
    owner = PatientFactory(user__username="owner", user__email="owner@example.org").user
    other = PatientFactory(user__username="other").user
    EmailAddress.objects.create(user=other, email="owner@example.org", verified=False)

    client = _sign_in_by_code("owner@example.org", mailoutbox)

    assert _signed_in_as(client) == owner.pk


# --- A clinician changes a patient's address: it takes effect once confirmed ---------------


def _confirmation_link(message) -> str:
    match = re.search(r"https?://[^/\s]+(/accounts/confirm-email/[^\s]+/)", message.body)
    assert match, message.body
    return match.group(1)


def test_a_new_address_takes_effect_only_when_the_patient_confirms_it(client, mailoutbox):
    clinician = ClinicianFactory(username="clinician")
    patient = PatientFactory(clinician=clinician, user__email="old@example.org")
    client.force_login(clinician)

    response = client.post(
        reverse("patients:patient_edit", args=[patient.pk]),
        _patient_data(email="New@Example.org"),
        follow=True,
    )

    assert "A confirmation link was sent to new@example.org" in response.text
    patient.user.refresh_from_db()
    assert patient.user.email == "old@example.org"
    [confirmation] = [m for m in mailoutbox if m.to == ["new@example.org"]]
    assert "Your clinic has changed the email address" in confirmation.body
    # Until then, the new address signs nobody in; the old one still does.
    stranger = Client()
    stranger.post(REQUEST_CODE, {"email": "new@example.org"})
    assert "No account uses this address" in mailoutbox[-1].body
    assert _signed_in_as(_sign_in_by_code("old@example.org", mailoutbox)) == patient.user.pk

    link = _confirmation_link(confirmation)
    assert Client().get(link).status_code == 200
    Client().post(link)

    patient.user.refresh_from_db()
    assert patient.user.email == "new@example.org"
    assert list(EmailAddress.objects.filter(user=patient.user).values_list("email", flat=True)) == [
        "new@example.org"
    ]
    assert _signed_in_as(_sign_in_by_code("new@example.org", mailoutbox)) == patient.user.pk


def test_saving_other_details_keeps_a_pending_address_change(client, mailoutbox):
    clinician = ClinicianFactory(username="clinician")
    patient = PatientFactory(clinician=clinician, user__email="old@example.org")
    client.force_login(clinician)
    url = reverse("patients:patient_edit", args=[patient.pk])
    client.post(url, _patient_data(email="new@example.org"))

    page = client.get(url)
    client.post(url, _patient_data(first_name="Augusta", email="new@example.org"))

    assert 'value="new@example.org"' in page.text
    assert "has been sent a confirmation link" in page.text
    assert len([m for m in mailoutbox if m.to == ["new@example.org"]]) == 1
    assert EmailAddress.objects.get(user=patient.user, verified=False).email == "new@example.org"


def test_a_clinician_can_remove_a_patients_address_at_once(client):
    clinician = ClinicianFactory(username="clinician")
    patient = PatientFactory(
        clinician=clinician, user__email="old@example.org", phone="+447911123456"
    )
    client.force_login(clinician)

    client.post(
        reverse("patients:patient_edit", args=[patient.pk]),
        _patient_data(email="", phone="+447911123456"),
    )

    patient.user.refresh_from_db()
    assert patient.user.email == ""


def test_a_pending_address_taken_by_another_account_is_not_confirmed(client, mailoutbox):
    """Between the change and its confirmation another account got the address (a legacy
    row): confirming refuses, and the patient keeps their old address."""
    clinician = ClinicianFactory(username="clinician")
    patient = PatientFactory(clinician=clinician, user__email="old@example.org")
    client.force_login(clinician)
    client.post(
        reverse("patients:patient_edit", args=[patient.pk]), _patient_data(email="new@example.org")
    )
    [confirmation] = [m for m in mailoutbox if m.to == ["new@example.org"]]
    other = PatientUserFactory(username="other")
    EmailAddress.objects.create(user=other, email="new@example.org", verified=False)

    Client().post(_confirmation_link(confirmation))

    patient.user.refresh_from_db()
    assert patient.user.email == "old@example.org"


# --- The migration reports conflicts instead of guessing -----------------------------------


def test_the_address_migration_lists_conflicting_accounts_instead_of_guessing():
    from importlib import import_module

    from django.apps import apps

    migration = import_module("users.migrations.0004_email_lowercase_unique")
    first = PatientUserFactory(username="first", email="same@example.org")
    second = PatientUserFactory(username="second", email="other@example.org")
    assert migration.conflicting_addresses(User) == {}

    # The constraint stops such data now; fake what older data may hold, in memory only.
    class Legacy:
        objects = User.objects.filter(pk__in=[first.pk, second.pk])

    rows = [(first.pk, "same@example.org"), (second.pk, "Same@Example.org ")]

    class Rows:
        def exclude(self, **kwargs):
            return self

        def order_by(self, *args):
            return self

        def values_list(self, *args):
            return rows

    Legacy.objects = Rows()
    assert migration.conflicting_addresses(Legacy) == {"same@example.org": [first.pk, second.pk]}

    class FakeApps:
        def get_model(self, app_label, model_name):
            return Legacy

    with pytest.raises(migration.AddressConflict, match=rf"user ids \[{first.pk}, {second.pk}\]"):
        migration.lower_case_addresses(FakeApps(), None)
    assert apps.get_model("users", "User").objects.get(pk=second.pk).email == "other@example.org"


def test_the_address_migration_lower_cases_existing_addresses():
    from importlib import import_module

    from django.apps import apps

    migration = import_module("users.migrations.0004_email_lowercase_unique")
    user = PatientUserFactory(username="capitals", email="x@example.org")
    User.objects.filter(pk=user.pk).update(email="Pat.Jones@Example.ORG")

    migration.lower_case_addresses(apps, None)

    user.refresh_from_db()
    assert user.email == "pat.jones@example.org"
