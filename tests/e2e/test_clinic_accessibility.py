"""axe-core on every clinician page, at 1280x800: the dashboard, a patient's page, an
assignment page, the programs list, the builder, the print view, the library and a muscle
page. No serious or critical violation on any of them (colour contrast included)."""

import pytest
from django.core.management import call_command
from django.urls import reverse

from patients.models import Assignment
from programs.services import program_create_from_muscle
from tests.e2e.browser import PASSWORD, serious_violations, sign_in
from tests.factories import AssignmentFactory, ClinicianFactory, PatientFactory
from tests.patients.dated import AlertFactory, ItemFactory
from trigger.models import Muscle

pytestmark = pytest.mark.django_db(transaction=True)

VIEWPORT = {"width": 1280, "height": 800}


@pytest.fixture
def clinic():
    """A clinician with an urgent patient (red row), a paused program and a running one."""
    call_command("load_trigger_content", verbosity=0)
    clinician = ClinicianFactory(username="dr.axe", password=PASSWORD)
    muscle = Muscle.objects.get(slug="gastrocnemius")
    program = program_create_from_muscle(owner=clinician, muscle=muscle)
    urgent = PatientFactory(clinician=clinician, user__first_name="Una", user__last_name="Urgent")
    AlertFactory(patient=urgent)
    running = AssignmentFactory(patient=urgent, program=program)
    ItemFactory(assignment=running)
    calm = PatientFactory(clinician=clinician, user__first_name="Cal", user__last_name="Calm")
    paused = AssignmentFactory(patient=calm, program=program, status=Assignment.Status.PAUSED)
    return {
        "clinician": clinician,
        "program": program,
        "urgent": urgent,
        "running": running,
        "paused": paused,
    }


def test_no_serious_or_critical_axe_violation_on_any_clinician_page(
    live_server, new_context, browser_context_args, clinic, capsys
):
    context = new_context(viewport=VIEWPORT)
    page = context.new_page()
    sign_in(page, live_server, clinic["clinician"])
    pages = {
        "/clinic/": reverse("patients:clinic"),
        "patient page": clinic["urgent"].get_absolute_url(),
        "assignment page": clinic["running"].get_absolute_url(),
        "assignment page (paused)": clinic["paused"].get_absolute_url(),
        "/programs/": reverse("programs:list"),
        "builder": clinic["program"].get_absolute_url(),
        "print view": reverse("programs:print", args=[clinic["program"].pk]),
        "/library/": reverse("trigger:muscle_list"),
        "muscle page": reverse("trigger:muscle_detail", args=["gastrocnemius"]),
        "add patient": reverse("patients:patient_create"),
        "assign form": reverse("patients:assign", args=[clinic["urgent"].pk]),
        "starter for a patient": reverse("patients:patient_starter", args=[clinic["urgent"].pk]),
        "assign to a patient": reverse("patients:program_assign", args=[clinic["program"].pk]),
    }
    found = {}
    for name, path in pages.items():
        response = page.goto(live_server.url + path)
        assert response is not None and response.status == 200, name
        found[name] = serious_violations(page)
    with capsys.disabled():
        for name, violations in found.items():
            print(f"\naxe {name}: {len(violations)} serious/critical")
            for line in violations:
                print(f"    {line}")
    assert {name: v for name, v in found.items() if v} == {}
