"""programs.selectors: which programs each list and form offers a clinician."""

import pytest

from programs import selectors
from tests.factories import ClinicianFactory, ProgramFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def programs(clinician, other_clinician):
    colleague = ClinicianFactory(practice=clinician.practice)
    ProgramFactory(owner=clinician, title="Calf rehab")
    ProgramFactory(owner=clinician, title="Calf template", is_template=True)
    ProgramFactory(owner=colleague, title="Heel pain", is_template=True, shared_with_practice=True)
    ProgramFactory(owner=colleague, title="Colleague private", is_template=True)
    ProgramFactory(
        owner=other_clinician, title="Other practice", is_template=True, shared_with_practice=True
    )


def titles(queryset) -> list[str]:
    return sorted(program.title for program in queryset)


def test_each_tab_holds_its_own_programs_and_the_counts_agree(clinician, programs):
    tabs = {
        tab: titles(selectors.programs_in_tab(user=clinician, tab=tab)) for tab in selectors.TABS
    }
    assert tabs == {
        "programs": ["Calf rehab"],
        "templates": ["Calf template"],
        "shared": ["Heel pain"],
    }
    counts = selectors.program_tab_counts(user=clinician)
    assert counts == {tab: len(listed) for tab, listed in tabs.items()}


def test_a_clinician_starts_from_own_or_shared_templates_only(clinician, programs):
    assert titles(selectors.templates_to_start_from(user=clinician)) == [
        "Calf template",
        "Heel pain",
    ]


def test_a_clinician_may_assign_own_programs_first_then_templates(clinician, programs):
    offered = list(selectors.programs_to_assign(clinician=clinician))
    assert [program.title for program in offered] == ["Calf rehab", "Calf template", "Heel pain"]
    assert [program.item_count for program in offered] == [0, 0, 0]
