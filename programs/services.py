"""Building programs: creating, copying library items in, cloning, reordering."""

from __future__ import annotations

import logging

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from trigger.models import Module, ModuleItem, Muscle
from trigger.selectors import home_items

from . import weekdays
from .models import OwnExercise, Program, ProgramItem

logger = logging.getLogger(__name__)

# The order of a muscle's starter program: stretch, then strengthen, then advice.
STARTER_ORDER = [
    Module.Kind.STRETCHING,
    Module.Kind.STRENGTHENING,
    Module.Kind.SELF_MASSAGE,
    Module.Kind.POSTURE_FOOTWEAR,
]


def _library_dosage(library_item: ModuleItem) -> dict:
    days = library_item.days_per_week
    return {
        "sets": library_item.sets,
        "reps": library_item.reps,
        "hold_seconds": library_item.hold_seconds,
        "rest_seconds": library_item.rest_seconds,
        "times_per_day": library_item.times_per_day or 1,
        # The library says how many days a week; a program says which: the first N.
        "weekdays": weekdays.to_mask(range(days)) if days else weekdays.ALL_DAYS,
    }


def library_item_copy(library_item: ModuleItem) -> dict:
    """What a copy of a library item is made of: its name, instructions and dosage now."""
    return {
        "library_item": library_item,
        "library_updated_at": library_item.updated_at,
        "module_kind": library_item.module.kind,
        "name": library_item.name,
        "instructions": library_item.instructions or library_item.text,
        "steps": [step.text for step in library_item.steps.order_by("order", "id")],
        "stop_if": library_item.stop_if,
        "is_advice": library_item.is_advice,
        "illustration": library_item.illustration,
        "illustration_alt": library_item.illustration_alt,
        **_library_dosage(library_item),
    }


def program_create(
    *, owner, title: str, description: str = "", is_template: bool = False
) -> Program:
    return Program.objects.create(
        owner=owner, title=title, description=description, is_template=is_template
    )


class AlreadyInProgram(Exception):
    """The library item is already in the program: the clinician is asked first."""


@transaction.atomic
def program_add_item(
    *, program: Program, library_item: ModuleItem, again: bool = False
) -> ProgramItem:
    """Copy a library item's instructions and dosage into the program, at the end.

    An item already in the program raises ``AlreadyInProgram`` unless ``again`` (the
    clinician confirmed they want it twice)."""
    if not library_item.module.is_home:
        raise ValidationError(
            _("%(name)s is carried out in the clinic and cannot go into a home program."),
            params={"name": library_item.name},
            code="clinic_only",
        )
    # Lock the program row so two quick adds do not take the same position, and a
    # double-clicked add finds the first one's item.
    Program.objects.select_for_update().filter(pk=program.pk).first()
    if not again and program.items.filter(library_item=library_item).exists():
        raise AlreadyInProgram(library_item.name)
    last = program.items.aggregate(last=Max("order"))["last"]
    item = ProgramItem.objects.create(
        program=program,
        order=(last + 1) if last is not None else 0,
        **library_item_copy(library_item),
    )
    program.save(update_fields=["updated_at"])
    return item


def starter_title(*, muscle: Muscle, for_name: str = "") -> str:
    """The title a starter is offered: the muscle, and whom it is for when known, so that
    the programs of one muscle can be told apart in the Assign list."""
    if for_name:
        return _("%(muscle)s – %(name)s") % {"muscle": muscle.name, "name": for_name}
    return _("%(muscle)s starter") % {"muscle": muscle.name}


def own_exercise_copy(exercise: OwnExercise) -> dict:
    """What a copy of a clinician's own exercise is made of."""
    return {
        "own_exercise": exercise,
        "module_kind": OwnExercise.KIND,
        "name": exercise.name,
        "instructions": exercise.instructions,
        **{field: getattr(exercise, field) for field in OwnExercise.DOSAGE_FIELDS},
    }


@transaction.atomic
def program_add_own_exercise(*, program: Program, exercise: OwnExercise) -> ProgramItem:
    """Copy a clinician's own exercise (theirs, or shared in their practice) into the
    program, at the end. The caller checks the clinician may see it."""
    Program.objects.select_for_update().filter(pk=program.pk).first()
    last = program.items.aggregate(last=Max("order"))["last"]
    item = ProgramItem.objects.create(
        program=program, order=(last + 1) if last is not None else 0, **own_exercise_copy(exercise)
    )
    program.save(update_fields=["updated_at"])
    return item


@transaction.atomic
def own_exercise_promote(*, exercise: OwnExercise, module: Module) -> ModuleItem:
    """Make a library item of a clinician's exercise (an editor's decision), in a home
    module; the clinician's note of where it comes from becomes the item's source."""
    if module.setting != Module.Setting.HOME:
        raise ValidationError(
            _("Choose a home module: a clinic-only module cannot hold a home exercise."),
            code="clinic_only",
        )
    last = module.items.aggregate(last=Max("order"))["last"]
    days = exercise.days_per_week
    item = ModuleItem.objects.create(
        module=module,
        name=exercise.name,
        text=exercise.instructions,
        instructions=exercise.instructions,
        sets=exercise.sets,
        reps=exercise.reps,
        hold_seconds=exercise.hold_seconds,
        rest_seconds=exercise.rest_seconds,
        times_per_day=exercise.times_per_day,
        days_per_week=days if days < 7 else None,
        image=exercise.image.name if exercise.image else "",
        image_alt=exercise.image_alt,
        video=exercise.video.name if exercise.video else "",
        video_description=exercise.video_description,
        is_default_item=True,
        item_source=(
            _("A clinician's own exercise (%(who)s): %(source)s")
            % {"who": exercise.owner.get_full_name() or exercise.owner, "source": exercise.source}
        )[:300],
        order=(last + 1) if last is not None else 0,
    )
    exercise.promoted_to = item
    exercise.save(update_fields=["promoted_to", "updated_at"])
    return item


@transaction.atomic
def program_create_from_muscle(*, owner, muscle: Muscle, title: str = "") -> Program:
    """A muscle's starter: its home items with their default dosage, in a sensible order.
    ``title`` names it (by default "<muscle> starter")."""
    title = title.strip()[:200] or starter_title(muscle=muscle)
    program = program_create(owner=owner, title=title)
    program.muscle = muscle
    program.save(update_fields=["muscle"])
    items = list(
        home_items()
        .filter(module__muscle=muscle)
        # A progression's harder variants are for later: the starter begins at the easiest.
        .filter(easier_variant__isnull=True)
        .select_related("module")
        .order_by("module__order", "order")
    )
    rank = {kind: index for index, kind in enumerate(STARTER_ORDER)}
    items.sort(key=lambda i: (rank.get(i.module.kind, len(rank)), i.module.order, i.order))
    ProgramItem.objects.bulk_create(
        ProgramItem(program=program, order=index, **library_item_copy(item))
        for index, item in enumerate(items)
    )
    return program


@transaction.atomic
def program_clone(*, program: Program, owner, as_template: bool | None = None) -> Program:
    """Copy a program (or template) and its items for ``owner``."""
    is_template = program.is_template if as_template is None else as_template
    title = program.title
    if program.owner_id == owner.pk and is_template == program.is_template:
        title = _("Copy of %(title)s") % {"title": program.title}
    copy = Program.objects.create(
        owner=owner,
        title=title[:200],
        description=program.description,
        is_template=is_template,
        based_on=program,
        muscle=program.muscle,
    )
    ProgramItem.objects.bulk_create(
        ProgramItem(program=copy, **item.copied_fields()) for item in program.items.all()
    )
    return copy


def program_item_refresh(*, item: ProgramItem) -> ProgramItem:
    """Take the library's current instructions and dosage (the clinician's note stays)."""
    if item.library_item is None:
        return item
    for field, value in library_item_copy(item.library_item).items():
        setattr(item, field, value)
    item.save()
    _touch(item.program_id)
    return item


@transaction.atomic
def program_item_move(*, item: ProgramItem, offset: int) -> None:
    """Move an item up (-1) or down (+1) by swapping it with its neighbour."""
    items = list(item.program.items.select_for_update().order_by("order", "id"))
    index = next(i for i, other in enumerate(items) if other.pk == item.pk)
    target = index + offset
    if not 0 <= target < len(items):
        return
    items[index], items[target] = items[target], items[index]
    _renumber(items)


@transaction.atomic
def program_items_reorder(*, program: Program, item_ids: list[int]) -> None:
    """Put the program's items in the given order (ids not in the program are refused)."""
    items = {item.pk: item for item in program.items.select_for_update()}
    if sorted(item_ids) != sorted(items):
        raise ValidationError(_("The list of items has changed; reload the page."))
    _renumber([items[pk] for pk in item_ids])


def _renumber(items: list[ProgramItem]) -> None:
    for order, item in enumerate(items):
        item.order = order
    ProgramItem.objects.bulk_update(items, ["order"])
    if items:
        _touch(items[0].program_id)


def _touch(program_id: int) -> None:
    """Any change to a program's items is a change to the program (the list's order)."""
    Program.objects.filter(pk=program_id).update(updated_at=timezone.now())


def program_item_remove(*, item: ProgramItem) -> None:
    item.delete()
    _touch(item.program_id)


@transaction.atomic
def program_share(*, program: Program, shared: bool) -> Program:
    """Share a template with the clinicians of its owner's practice (read-only), or make
    it private again. Only a template can be shared: a program is refused with
    ``ValidationError`` (code ``not_a_template``) and nothing changes."""
    locked = Program.objects.select_for_update().get(pk=program.pk)
    if shared and not locked.is_template:
        logger.info("Program %s (owner %s) not shared: not a template.", locked.pk, locked.owner_id)
        raise ValidationError(
            _("Only templates can be shared with your practice."), code="not_a_template"
        )
    locked.shared_with_practice = shared
    locked.save(update_fields=["shared_with_practice", "updated_at"])
    program.shared_with_practice, program.updated_at = shared, locked.updated_at
    return locked


@transaction.atomic
def program_delete(*, program: Program) -> None:
    """Delete a program and its items. The assignments made from it keep their own copy
    (their link to the program is cleared), so no patient loses an exercise."""
    logger.info("Program %s deleted by its owner %s.", program.pk, program.owner_id)
    program.delete()
