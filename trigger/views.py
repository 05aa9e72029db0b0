"""The content library: the list of muscles with a search, and one muscle's whole content.

Clinicians, editors and administrators browse it; patients never do (they see only the
exercises their clinician assigns). Each page runs a fixed number of queries, however
many muscles or rows there are.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from users.access import role_required

from . import selectors
from .chart import muscle_chart
from .forms import LibrarySearchForm
from .models import Muscle, SectionText

library_reader_required = role_required("clinician", "editor", "admin")


@library_reader_required
def muscle_list(request: HttpRequest) -> HttpResponse:
    form = LibrarySearchForm(request.GET or None)
    filters = form.filters()
    muscles = selectors.muscles_matching(q=filters.get("q", ""), region=filters.get("region"))
    return render(
        request,
        "trigger/muscle_list.html",
        {"form": form, "muscles": muscles, "searched": bool(filters)},
    )


@dataclass
class SectionBlock:
    """One section of the page: its heading, lead-in, rows and closing paragraph.

    ``items`` are the section's bullets (SectionItem); ``rows`` the rows of the model the
    section has of its own (referral zones, differentials, associations, modules).
    """

    kind: str
    heading: str
    lead: str = ""
    summary: str = ""
    items: list = field(default_factory=list)
    rows: list = field(default_factory=list)


def _has_anatomy(muscle: Muscle) -> bool:
    return any(
        [
            muscle.origin,
            muscle.insertion,
            muscle.innervation,
            muscle.nerve_roots,
            muscle.anatomy_note,
        ]
    )


@dataclass
class AssociatedLink:
    related: Muscle
    note: str = ""


def associated_links(muscle: Muscle) -> list[AssociatedLink]:
    """The muscles this one's document names, then those whose documents name this one:
    associations are linked both ways without writing rows into the other muscle."""
    links = [AssociatedLink(a.related, a.note) for a in muscle.associations.all()]
    named = {link.related.pk for link in links}
    links += [
        AssociatedLink(a.muscle) for a in muscle.associated_from.all() if a.muscle_id not in named
    ]
    return links


def muscle_sections(muscle: Muscle) -> list[SectionBlock]:
    """The muscle's sections in document order, from prefetched rows only.

    Section texts are stored in the order the document gave them. Rows whose section has
    no text (an editor added them, or a stub muscle's back-links) still get a section.
    The anatomy table has no section row: it goes where the document format puts it,
    after the associated trigger points.
    """
    Kind = SectionText.Kind
    items: dict[str, list] = {kind.value: [] for kind in Kind}
    for item in muscle.section_items.all():
        items.setdefault(item.kind, []).append(item)
    rows: dict[str, list] = {kind.value: [] for kind in Kind}
    rows[Kind.REFERRAL] = list(muscle.referral_zones.all())
    rows[Kind.DIFFERENTIAL] = list(muscle.differentials.all())
    rows[Kind.ASSOCIATED] = associated_links(muscle)
    rows[Kind.CORRECTIVE] = list(muscle.modules.all())

    blocks = [
        SectionBlock(
            kind=text.kind,
            heading=text.heading or text.get_kind_display(),
            lead=text.lead,
            summary=text.summary,
            items=items.get(text.kind, []),
            rows=rows.get(text.kind, []),
        )
        for text in muscle.section_texts.all()
    ]
    written = {block.kind for block in blocks}
    blocks += [
        SectionBlock(
            kind=kind.value, heading=kind.label, items=items[kind.value], rows=rows[kind.value]
        )
        for kind in Kind
        if kind.value not in written and (items[kind.value] or rows[kind.value])
    ]
    if _has_anatomy(muscle):
        kinds = [block.kind for block in blocks]
        if Kind.ASSOCIATED in kinds:
            position = kinds.index(Kind.ASSOCIATED) + 1
        else:
            later = [kinds.index(k) for k in (Kind.EXAMINATION, Kind.CORRECTIVE) if k in kinds]
            position = min(later, default=len(blocks))
        blocks.insert(position, SectionBlock(kind="anatomy", heading=""))
    return blocks


@library_reader_required
def muscle_detail(request: HttpRequest, slug: str) -> HttpResponse:
    try:
        muscle = selectors.muscles_with_content().get(slug=slug)
    except Muscle.DoesNotExist:
        raise Http404 from None
    user = request.user
    return render(
        request,
        "trigger/muscle_detail.html",
        {
            "muscle": muscle,
            "sections": muscle_sections(muscle),
            "chart": muscle_chart(muscle),
            "can_edit": user.is_staff and user.has_perm("trigger.change_muscle"),
        },
    )
