"""Which programs a page shows: the list's tabs, the templates to start from and the
programs a clinician may assign, in one place (docs/architecture.md).

Each starts from ``Program.objects.visible_to``: a clinician's own programs and the
templates shared in their practice, never anyone else's.
"""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet

from .models import Program

TABS = ("programs", "templates", "shared")


def programs_in_tab(*, user, tab: str) -> QuerySet[Program]:
    """The list's tab: own programs, own templates, or templates colleagues share."""
    visible = Program.objects.visible_to(user)
    if tab == "templates":
        return visible.filter(owner=user, is_template=True)
    if tab == "shared":
        return visible.filter(is_template=True, shared_with_practice=True).exclude(owner=user)
    return visible.filter(owner=user, is_template=False)


def program_tab_counts(*, user) -> dict[str, int]:
    """How many programs each tab holds, in one query."""
    return Program.objects.visible_to(user).aggregate(
        programs=Count("pk", filter=Q(owner=user, is_template=False)),
        templates=Count("pk", filter=Q(owner=user, is_template=True)),
        shared=Count("pk", filter=Q(is_template=True) & ~Q(owner=user)),
    )


def templates_to_start_from(*, user) -> QuerySet[Program]:
    """Own templates and those shared in the practice, by title."""
    return (
        Program.objects.visible_to(user)
        .filter(is_template=True)
        .select_related("owner")
        .order_by("title", "id")
    )


def programs_to_assign(*, clinician) -> QuerySet[Program]:
    """Every program the clinician may assign, own programs first, with its item count."""
    return (
        Program.objects.visible_to(clinician)
        .select_related("owner")
        .annotate(item_count=Count("items"))
        .order_by("is_template", "title", "id")
    )
