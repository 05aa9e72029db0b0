"""The first load of /me/ (HTML + CSS + JS + pictures) stays under 50 KB gzipped on a weak mobile
connection."""

import gzip
import re

import pytest
from django.contrib.staticfiles import finders
from django.templatetags.static import static

from patients.models import AssignmentItem
from programs.services import program_create_from_muscle
from tests import factories

LIMIT_BYTES = 50 * 1024
pytestmark = pytest.mark.django_db


def gzipped_size(data: bytes) -> int:
    return len(gzip.compress(data, compresslevel=6))


def first_load(client, assignment) -> int:
    """Gzipped bytes of /me/ and every stylesheet, script and picture it loads."""
    client.force_login(assignment.patient.user)
    response = client.get("/me/")
    assert response.status_code == 200
    html = response.content
    assets = re.findall(rb'(?:href|src)="(/static/[^"]+\.(?:css|js|svg))"', html)
    assert any(a.endswith(b".css") for a in assets) and any(a.endswith(b".js") for a in assets)
    prefix = static("")
    total = gzipped_size(html)
    for url in set(assets):
        path = finders.find(url.decode()[len(prefix) :])
        assert path, f"{url!r} is not a static file"
        with open(path, "rb") as handle:
            total += gzipped_size(handle.read())
    print(f"/me/ first load: {total / 1024:.1f} KB gzipped ({len(set(assets))} assets)")
    return total


def test_the_first_load_of_today_weighs_under_50_kb_gzipped(client):
    assignment = factories.AssignmentFactory()
    for _ in range(8):
        factories.ProgramItemFactory(program=assignment.program)
    items = assignment.program.items.all()
    AssignmentItem.objects.bulk_create(
        AssignmentItem(assignment=assignment, **item.copied_fields()) for item in items
    )

    total = first_load(client, assignment)

    assert total <= LIMIT_BYTES, f"/me/ first load is {total / 1024:.1f} KB gzipped"


def test_the_gastrocnemius_starter_with_its_pictures_weighs_under_50_kb_gzipped(
    client, clinician, gastrocnemius
):
    program = program_create_from_muscle(owner=clinician, muscle=gastrocnemius)
    assignment = factories.AssignmentFactory(program=program, patient__clinician=clinician)
    AssignmentItem.objects.bulk_create(
        AssignmentItem(assignment=assignment, **item.copied_fields())
        for item in program.items.all()
    )

    total = first_load(client, assignment)
    assert len(set(re.findall(r"/static/illustrations/[a-z-]+\.svg", client.get("/me/").text))) == 5

    assert total <= LIMIT_BYTES, f"/me/ first load is {total / 1024:.1f} KB gzipped"
