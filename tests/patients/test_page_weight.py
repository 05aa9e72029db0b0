"""The first load of /me/ (HTML + CSS + JS) stays light on a weak mobile connection."""

import gzip
import re

import pytest
from django.contrib.staticfiles import finders
from django.templatetags.static import static

from patients.models import AssignmentItem
from tests import factories

LIMIT_BYTES = 100 * 1024
pytestmark = pytest.mark.django_db


def gzipped_size(data: bytes) -> int:
    return len(gzip.compress(data, compresslevel=6))


def test_the_first_load_of_today_weighs_under_100_kb_gzipped(client):
    assignment = factories.AssignmentFactory()
    for _ in range(8):
        factories.ProgramItemFactory(program=assignment.program)
    items = assignment.program.items.all()
    AssignmentItem.objects.bulk_create(
        AssignmentItem(assignment=assignment, **item.copied_fields()) for item in items
    )
    client.force_login(assignment.patient.user)

    response = client.get("/me/")
    assert response.status_code == 200
    html = response.content
    assets = re.findall(rb'(?:href|src)="(/static/[^"]+\.(?:css|js))"', html)
    assert any(a.endswith(b".css") for a in assets) and any(a.endswith(b".js") for a in assets)
    prefix = static("")
    total = gzipped_size(html)
    for url in set(assets):
        path = finders.find(url.decode()[len(prefix) :])
        assert path, f"{url!r} is not a static file"
        with open(path, "rb") as handle:
            total += gzipped_size(handle.read())
    print(f"/me/ first load: {total / 1024:.1f} KB gzipped ({len(set(assets))} assets)")
    assert total <= LIMIT_BYTES, f"/me/ first load is {total / 1024:.1f} KB gzipped"
