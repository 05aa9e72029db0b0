"""Who may reach the admin site, and the people pages only administrators may use."""

import pytest
from django.urls import reverse

from tests.factories import ClinicianFactory, PatientUserFactory, PracticeFactory
from users.models import Practice, User


def _user_change_data(user: User, **changes) -> dict:
    """The user change form as posted unchanged, with ``changes`` applied."""
    data = {
        "username": user.username,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "role": user.role,
        "practice": user.practice_id or "",
        "date_joined_0": user.date_joined.strftime("%Y-%m-%d"),
        "date_joined_1": user.date_joined.strftime("%H:%M:%S"),
    }
    if user.is_active:
        data["is_active"] = "on"
    if user.is_staff:
        data["is_staff"] = "on"
    data.update(changes)
    return data


# --- Who reaches the admin site at all --------------------------------------------------------


@pytest.mark.parametrize("persona", ["patient_user", "clinician"])
def test_a_patient_or_clinician_is_sent_to_the_admin_login(db, client, request, persona):
    client.force_login(request.getfixturevalue(persona))

    response = client.get(reverse("admin:index"))

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('admin:login')}?next={reverse('admin:index')}"


def test_an_anonymous_visitor_is_sent_to_the_admin_login(client):
    url = reverse("admin:trigger_muscle_changelist")

    response = client.get(url)

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('admin:login')}?next={url}"


@pytest.mark.parametrize("persona", ["patient_user", "clinician"])
def test_a_patient_or_clinician_cannot_log_in_to_the_admin(db, client, request, persona):
    user = request.getfixturevalue(persona)

    # The admin's login goes through allauth (secure_admin_login): signing in there works,
    # but the admin itself then refuses anyone who is not staff.
    response = client.post(
        reverse("account_login") + "?next=" + reverse("admin:index"),
        {"login": user.username, "password": "correct horse battery"},
        follow=True,
    )

    # Signed in, they land on their own home with a message; the admin stays closed.
    assert response.status_code == 200
    assert response.redirect_chain[-1][0] in ("/me/", "/clinic/")
    assert "administration site is for content editors" in response.text
    assert client.get(reverse("admin:index")).status_code == 302


# --- Editors: the library, and nothing about people --------------------------------------------


def test_an_editor_holds_library_permissions_and_none_on_users(editor):
    assert editor.has_module_perms("trigger")
    assert editor.has_perm("trigger.change_moduleitem")
    assert not editor.has_module_perms("users")
    assert not editor.has_perm("users.view_user")
    assert not editor.has_perm("users.change_user")
    assert not editor.has_perm("users.view_practice")
    assert not editor.has_module_perms("auditlog")


def test_an_editor_sees_no_users_app_in_the_admin_index(client, editor):
    client.force_login(editor)

    response = client.get(reverse("admin:index"))

    assert response.status_code == 200
    app_labels = {app["app_label"] for app in response.context["app_list"]}
    assert "users" not in app_labels
    assert reverse("admin:users_user_changelist") not in response.content.decode()


@pytest.mark.parametrize(
    "url_name",
    [
        "admin:users_user_changelist",
        "admin:users_user_add",
        "admin:users_practice_changelist",
        "admin:users_practice_add",
        "admin:auditlog_logentry_changelist",
    ],
)
def test_an_editor_is_refused_the_people_pages(client, editor, url_name):
    client.force_login(editor)

    assert client.get(reverse(url_name)).status_code == 403


def test_an_editor_is_refused_another_users_page_and_password(client, editor):
    other = ClinicianFactory()
    client.force_login(editor)

    assert client.get(reverse("admin:users_user_change", args=[other.pk])).status_code == 403
    password_url = reverse("admin:auth_user_password_change", args=[other.pk])
    assert client.get(password_url).status_code == 403


def test_an_editor_cannot_make_themselves_an_administrator(client, editor):
    client.force_login(editor)
    url = reverse("admin:users_user_change", args=[editor.pk])

    response = client.post(url, _user_change_data(editor, role=User.Role.ADMIN, is_superuser="on"))

    assert response.status_code == 403
    editor.refresh_from_db()
    assert (editor.role, editor.is_superuser) == (User.Role.EDITOR, False)


# --- Administrators: people, roles and practices -------------------------------------------------


def test_an_administrator_sees_roles_and_practices_in_the_users_list(client, administrator):
    clinician = ClinicianFactory(practice=PracticeFactory(name="North Clinic"))
    client.force_login(administrator)

    response = client.get(reverse("admin:users_user_changelist"), {"role": "clinician"})

    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == [clinician]
    page = response.content.decode()
    assert "North Clinic" in page
    assert "Clinician" in page


def test_an_administrator_can_give_a_user_a_role_and_a_practice(client, administrator):
    user = PatientUserFactory()
    practice = PracticeFactory()
    client.force_login(administrator)
    url = reverse("admin:users_user_change", args=[user.pk])
    assert client.get(url).status_code == 200

    response = client.post(
        url, _user_change_data(user, role=User.Role.CLINICIAN, practice=practice.pk)
    )

    assert response.status_code == 302
    user.refresh_from_db()
    assert (user.role, user.practice) == (User.Role.CLINICIAN, practice)


def test_an_administrator_can_make_a_content_editor(client, administrator):
    user = PatientUserFactory()
    client.force_login(administrator)

    response = client.post(
        reverse("admin:users_user_change", args=[user.pk]),
        _user_change_data(user, role=User.Role.EDITOR, is_staff="on"),
    )

    assert response.status_code == 302
    user.refresh_from_db()
    assert (user.role, user.is_staff) == (User.Role.EDITOR, True)


def test_making_a_patient_staff_is_a_form_error_not_a_crash(client, administrator):
    user = PatientUserFactory()
    client.force_login(administrator)

    response = client.post(
        reverse("admin:users_user_change", args=[user.pk]),
        _user_change_data(user, is_staff="on"),
    )

    assert response.status_code == 200
    assert "is_staff" in response.context["adminform"].form.errors
    user.refresh_from_db()
    assert user.is_staff is False


def test_an_administrator_can_add_a_user_with_a_role(client, administrator):
    practice = PracticeFactory()
    client.force_login(administrator)

    response = client.post(
        reverse("admin:users_user_add"),
        {
            "username": "new.clinician",
            "usable_password": "true",
            "password1": "a long and unusual passphrase",
            "password2": "a long and unusual passphrase",
            "role": User.Role.CLINICIAN,
            "practice": practice.pk,
        },
    )

    assert response.status_code == 302
    user = User.objects.get(username="new.clinician")
    assert (user.role, user.practice, user.is_staff) == (User.Role.CLINICIAN, practice, False)
    assert user.check_password("a long and unusual passphrase")


def test_an_administrator_can_add_a_practice(client, administrator):
    client.force_login(administrator)
    assert client.get(reverse("admin:users_practice_changelist")).status_code == 200

    response = client.post(
        reverse("admin:users_practice_add"), {"name": "South Clinic", "time_zone": "Europe/London"}
    )

    assert response.status_code == 302
    assert Practice.objects.filter(name="South Clinic").exists()


# --- Two-factor devices and sign-in locks (issue 11) -----------------------------------------


def test_the_admin_never_shows_a_totp_secret(client, administrator, clinician):
    from allauth.mfa.models import Authenticator
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

    secret = generate_totp_secret()
    TOTP.activate(clinician, secret)
    authenticator = Authenticator.objects.get(user=clinician, type=Authenticator.Type.TOTP)
    client.force_login(administrator)

    changelist = client.get(reverse("admin:mfa_authenticator_changelist"))
    page = client.get(reverse("admin:mfa_authenticator_change", args=[authenticator.pk]))

    assert changelist.status_code == 200
    assert page.status_code == 200
    stored = authenticator.data["secret"]  # as kept in the database
    for text in (changelist.text, page.text):
        assert secret not in text
        assert stored not in text
        assert 'name="data"' not in text
    assert client.get(reverse("admin:mfa_authenticator_add")).status_code == 403


def test_an_administrator_can_delete_a_lost_authenticator(client, administrator, clinician):
    from allauth.mfa.models import Authenticator
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

    TOTP.activate(clinician, generate_totp_secret())
    authenticator = Authenticator.objects.get(user=clinician)
    client.force_login(administrator)

    client.post(reverse("admin:mfa_authenticator_delete", args=[authenticator.pk]), {"post": "yes"})

    assert not Authenticator.objects.filter(user=clinician).exists()


def test_an_editor_cannot_see_two_factor_devices(client, editor):
    client.force_login(editor)

    assert client.get(reverse("admin:mfa_authenticator_changelist")).status_code == 403


def test_an_administrator_unlocks_a_locked_account(client, administrator, clinician):
    from django.utils import timezone

    User.objects.filter(pk=clinician.pk).update(sign_in_locked_at=timezone.now())
    client.force_login(administrator)

    page = client.get(reverse("admin:users_user_change", args=[clinician.pk]))
    client.post(
        reverse("admin:users_user_changelist"),
        {"action": "unlock_sign_in", "_selected_action": [clinician.pk]},
    )

    assert "Sign-in lock" in page.text
    clinician.refresh_from_db()
    assert clinician.sign_in_locked_at is None
    response = client.post(
        reverse("account_login"), {"login": "clinician", "password": "correct horse battery"}
    )
    assert response.status_code == 302


def test_the_admin_refuses_an_address_another_account_has(client, administrator, clinician):
    PatientUserFactory(username="pat", email="pat@example.org")
    client.force_login(administrator)

    response = client.post(
        reverse("admin:users_user_change", args=[clinician.pk]),
        _user_change_data(clinician, email="PAT@example.org"),
    )

    assert response.status_code == 200
    assert "Another account already has this email address." in response.text
    clinician.refresh_from_db()
    assert clinician.email == "clinician@example.org"
