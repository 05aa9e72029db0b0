"""Which library rows a page shows: the querysets of the library and of the program
builder's library browser, in one place (docs/architecture.md).

Selectors only read. Each returns a queryset with what its page needs prefetched, so a
page runs a fixed number of queries however many muscles or rows there are.
"""

from __future__ import annotations

from django.db.models import Count, OuterRef, Prefetch, Q, QuerySet, Subquery

from .models import (
    AssociatedMuscle,
    BodyArea,
    BodyRegion,
    Differential,
    Module,
    ModuleItem,
    Muscle,
    ReferralZone,
    SectionItem,
    SectionText,
    Source,
)


def muscles_matching(*, q: str = "", region: BodyRegion | None = None) -> QuerySet[Muscle]:
    """Muscles whose name matches ``q``, or that refer pain to where ``q`` says it hurts,
    with their referral zones."""
    muscles = Muscle.objects.all()
    if q:
        muscles = muscles.filter(
            Q(name__icontains=q)
            | Q(referral_zones__region__name__icontains=q)
            | Q(referral_zones__text__icontains=q)
        )
    if region is not None:
        muscles = muscles.filter(referral_zones__region=region)
    zones = ReferralZone.objects.select_related("region").order_by("order", "id")
    return muscles.distinct().prefetch_related(Prefetch("referral_zones", queryset=zones))


def muscles_with_content() -> QuerySet[Muscle]:
    """Muscles with every row of their content, each list in its order."""
    ordered = ("order", "id")
    return Muscle.objects.prefetch_related(
        Prefetch("section_texts", queryset=SectionText.objects.order_by("id")),
        Prefetch("section_items", queryset=SectionItem.objects.order_by(*ordered)),
        Prefetch(
            "referral_zones",
            queryset=ReferralZone.objects.select_related("region").order_by(*ordered),
        ),
        Prefetch("differentials", queryset=Differential.objects.order_by(*ordered)),
        Prefetch(
            "associations",
            queryset=AssociatedMuscle.objects.select_related("related").order_by(*ordered),
        ),
        Prefetch(
            "associated_from",
            queryset=AssociatedMuscle.objects.select_related("muscle").order_by(*ordered),
        ),
        Prefetch(
            "modules",
            queryset=Module.objects.order_by(*ordered).prefetch_related(
                Prefetch(
                    "items",
                    queryset=ModuleItem.objects.select_related("harder_variant", "easier_variant")
                    .order_by(*ordered)
                    .prefetch_related("steps"),
                )
            ),
        ),
        Prefetch("sources", queryset=Source.objects.order_by(*ordered)),
    )


def home_modules() -> QuerySet[Module]:
    """Modules a patient carries out at home (not dry needling or manual therapy)."""
    return Module.objects.filter(setting=Module.Setting.HOME)


def home_items() -> QuerySet[ModuleItem]:
    """Library items that may go into a home program."""
    return ModuleItem.objects.filter(module__setting=Module.Setting.HOME)


def muscles_with_home_items() -> QuerySet[Muscle]:
    """Muscles that have at least one home item, by name (the starter and filter lists)."""
    return Muscle.objects.filter(pk__in=home_items().values("module__muscle")).order_by("name")


def home_items_matching(
    *,
    q: str = "",
    muscle: Muscle | None = None,
    kind: str = "",
    region: BodyRegion | None = None,
) -> QuerySet[ModuleItem]:
    """The builder's library browser: home items whose name or instructions contain ``q``,
    of a muscle, a kind of module, or a muscle referring pain to a body region; in the
    order of the library (muscle, module, item)."""
    items = home_items().select_related("module__muscle")
    if q:
        items = items.filter(
            Q(name__icontains=q) | Q(text__icontains=q) | Q(instructions__icontains=q)
        )
    if muscle is not None:
        items = items.filter(module__muscle=muscle)
    if kind:
        items = items.filter(module__kind=kind)
    if region is not None:
        region_muscles = Muscle.objects.filter(referral_zones__region=region)
        items = items.filter(module__muscle__in=region_muscles)
    return items.order_by("module__muscle__name", "module__order", "order", "id")


def home_items_ranked_by_areas(
    items: QuerySet[ModuleItem], areas: list[BodyArea]
) -> QuerySet[ModuleItem]:
    """Items of muscles referring pain to any of ``areas``, the muscles explaining the most
    areas first (as on /library/where/)."""
    explained = (
        BodyArea.objects.filter(pk__in=[a.pk for a in areas])
        .filter(regions__zones__muscle=OuterRef("module__muscle"))
        .values("regions__zones__muscle")
        .annotate(n=Count("pk", distinct=True))
        .values("n")
    )
    return (
        items.annotate(explained=Subquery(explained))
        .filter(explained__gt=0)
        .order_by("-explained", "module__muscle__name", "module__order", "order", "id")
    )
