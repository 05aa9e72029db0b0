"""`/` sends each user to their home."""

import pytest

from tests.factories import AdminFactory, ClinicianFactory, EditorFactory, PatientUserFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("factory", "home"),
    [
        (ClinicianFactory, "/clinic/"),
        (PatientUserFactory, "/me/"),
        (EditorFactory, "/admin/"),
        (AdminFactory, "/admin/"),
    ],
)
def test_home_sends_each_role_to_its_home(client, factory, home):
    client.force_login(factory())
    response = client.get("/")
    assert response.status_code == 302
    assert response.url == home
    assert client.get(response.url).status_code == 200


def test_home_sends_anonymous_visitors_to_login(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response.url.startswith("/accounts/login/")


def test_signing_in_lands_a_clinician_on_the_clinic(client):
    ClinicianFactory(username="dr.who")
    response = client.post(
        "/accounts/login/",
        {"login": "dr.who", "password": "correct horse battery"},
        follow=True,
    )
    assert response.redirect_chain[-1][0] == "/clinic/"
    assert "My patients" in response.text
