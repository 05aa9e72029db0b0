"""A newcomer's first steps: the first administrator made the Django way, and people who
open the admin by mistake sent to their own home."""

import pytest
from django.contrib.messages import get_messages
from django.core.management import call_command
from django.urls import reverse

from users.models import User


def test_createsuperuser_noinput_makes_a_working_administrator(db, monkeypatch):
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "a long admin passphrase 42")

    call_command(
        "createsuperuser", "--noinput", username="root", email="root@example.org", verbosity=0
    )

    user = User.objects.get(username="root")
    assert user.is_superuser and user.is_staff
    assert user.role == User.Role.ADMIN
    assert user.check_password("a long admin passphrase 42")


def test_a_superuser_created_in_code_is_an_administrator(db):
    user = User.objects.create_superuser("boss", "boss@example.org", "another passphrase 42")

    assert user.role == User.Role.ADMIN


@pytest.mark.parametrize(("persona", "home"), [("patient_user", "/me/"), ("clinician", "/clinic/")])
def test_a_signed_in_patient_or_clinician_opening_the_admin_lands_on_their_home(
    client, request, persona, home
):
    client.force_login(request.getfixturevalue(persona))

    response = client.get(reverse("admin:index"), follow=True)

    assert response.status_code == 200
    assert response.redirect_chain[-1][0] == home
    shown = [str(m) for m in get_messages(response.wsgi_request)]
    assert any("administration" in text for text in shown), shown
