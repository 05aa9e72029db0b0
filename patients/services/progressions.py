"""Progressing a patient's exercise: suggestions from their reports, and the one-click change.

"Too easy" on the same assigned exercise at least twice in the last 14 days suggests its
harder variant (``ModuleItem.harder_variant``); "too hard" twice suggests the easier one,
or a lower dosage when the library has none. A library item changed since the patient's
copy was made offers the library's version. Applying any of them never edits the copy in
place: a new copy replaces it from the patient's today (``AssignmentItem.replaced_by``), so
the old copy's logs keep pointing to it and the patient's story shows both.
"""

from __future__ import annotations

import datetime
import logging
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, FilteredRelation, Q, QuerySet
from django.utils.translation import gettext as _

from programs.services import library_item_copy
from trigger.models import ModuleItem

from ..compiled import instances_for_ids
from ..models import Assignment, AssignmentItem, ExerciseLog
from .alerts import TOO_HARD_TIMES, TOO_HARD_WINDOW_DAYS

logger = logging.getLogger(__name__)

REPORT_TIMES = TOO_HARD_TIMES
WINDOW_DAYS = TOO_HARD_WINDOW_DAYS

# What a suggestion reads of its exercise, program, patient and the library's variants.
SUGGESTION_FIELDS = (
    "name",
    "order",
    "assignment__patient_id",
    "assignment__status",
    "assignment__patient__user__first_name",
    "assignment__patient__user__last_name",
    "assignment__patient__user__username",
    "library_item__harder_variant__name",
    "library_item__easier_variant__name",
    "library_item__easier_variant__harder_variant",
)


@dataclass
class Suggestion:
    """A change the clinician may make to one of a patient's assigned exercises."""

    item: AssignmentItem
    change: str  # an AssignmentItem.Change, or "dosage" (no easier variant: lower the dosage)
    reports: int
    variant: ModuleItem | None

    @property
    def patient_id(self) -> int:
        return self.item.assignment.patient_id

    @property
    def message(self) -> str:
        names = {"name": self.item.name, "times": self.reports, "days": WINDOW_DAYS}
        if self.change == AssignmentItem.Change.HARDER:
            return (
                _("“%(name)s” was reported too easy %(times)d times in the last %(days)d days.")
                % names
            )
        if self.change == AssignmentItem.Change.UPDATED:
            return _("“%(name)s” was updated in the library since it was assigned.") % names
        return (
            _("“%(name)s” was reported too hard %(times)d times in the last %(days)d days.") % names
        )

    @property
    def action(self) -> str:
        if self.change == AssignmentItem.Change.HARDER:
            return _("Progress to “%(variant)s”") % {"variant": self.variant.name}
        if self.change == AssignmentItem.Change.EASIER:
            return _("Go back to “%(variant)s”") % {"variant": self.variant.name}
        if self.change == AssignmentItem.Change.UPDATED:
            return _("Use the library's version")
        return _("Lower the dosage")


def progression_suggestions(
    *, patient_ids: list[int], today: datetime.date
) -> dict[int, list[Suggestion]]:
    """The suggested progressions of the given patients' exercises in use, by patient.
    One query whatever the number of patients and logs."""
    if not patient_ids:
        return {}
    since = today - datetime.timedelta(days=WINDOW_DAYS - 1)

    # The window's reports joined through the (item, day, session) index: each item's logs
    # of the last 14 days only (a plain join counted with a filter read every log of every
    # item, ~1 s at 90 days of logs for 50 patients, bench/README.md).
    def reported(ids: list[int]) -> QuerySet[AssignmentItem]:
        recent = FilteredRelation(
            "logs",
            condition=Q(
                logs__performed_on__range=(since, today),
                logs__difficulty__in=(
                    ExerciseLog.Difficulty.TOO_EASY,
                    ExerciseLog.Difficulty.TOO_HARD,
                ),
            ),
        )
        return (
            AssignmentItem.objects.filter(assignment__patient_id__in=ids, replaced_on__isnull=True)
            .exclude(assignment__status=Assignment.Status.ENDED)
            .annotate(
                recent=recent,
                too_easy=Count(
                    "recent", filter=Q(recent__difficulty=ExerciseLog.Difficulty.TOO_EASY)
                ),
                too_hard=Count(
                    "recent", filter=Q(recent__difficulty=ExerciseLog.Difficulty.TOO_HARD)
                ),
            )
            # Only items with something to suggest: "too hard" always has (an easier variant
            # or a lower dosage), "too easy" only when the library has a harder variant.
            .filter(
                Q(too_hard__gte=REPORT_TIMES)
                | Q(too_easy__gte=REPORT_TIMES, library_item__harder_variant__isnull=False)
            )
            .select_related(
                "assignment__patient__user",
                "library_item__harder_variant",
                "library_item__easier_variant",
            )
            # Only what a suggestion shows and acts on: the long texts stay in the database.
            .only(*SUGGESTION_FIELDS)
            .order_by("assignment_id", "order", "id")
        )

    # Compiled once per day (``patients.compiled``): the dashboard asks at every visit.
    items = instances_for_ids(("progression suggestions", today), patient_ids, reported)
    suggestions: dict[int, list[Suggestion]] = {}
    for item in items:
        library_item = item.library_item
        too_easy = item.too_easy if item.too_easy >= REPORT_TIMES else 0
        too_hard = item.too_hard if item.too_hard >= REPORT_TIMES else 0
        found = []
        harder = library_item.harder_variant if library_item else None
        if too_easy and harder:
            found.append(Suggestion(item, AssignmentItem.Change.HARDER, too_easy, harder))
        if too_hard:
            easier = library_item.easier if library_item else None
            if easier is not None:
                found.append(Suggestion(item, AssignmentItem.Change.EASIER, too_hard, easier))
            else:
                found.append(Suggestion(item, "dosage", too_hard, None))
        if found:
            suggestions.setdefault(item.assignment.patient_id, []).extend(found)
    return suggestions


@transaction.atomic
def assignment_item_change(
    *, item: AssignmentItem, change: str, by, today: datetime.date
) -> AssignmentItem:
    """Replace the patient's copy of an exercise from ``today`` on with a copy of its harder
    or easier variant, or of the library's current version (``change``). The new copy takes
    the library's default dosage on the patient's days and keeps the clinician's note; the
    old copy stays, marked replaced, with its logs."""
    locked = (
        AssignmentItem.objects.select_for_update(of=("self",))
        .select_related("library_item")
        .get(pk=item.pk)
    )
    library_item = locked.library_item
    variant = None
    if locked.replaced_on is None and library_item is not None:
        variant = {
            AssignmentItem.Change.HARDER: library_item.harder_variant,
            AssignmentItem.Change.EASIER: library_item.easier,
            AssignmentItem.Change.UPDATED: library_item if locked.is_outdated else None,
        }.get(change)
    if variant is None:
        logger.info(
            "exercise change refused: item=%s assignment=%s change=%s replaced_on=%s by=%s",
            locked.pk,
            locked.assignment_id,
            change,
            locked.replaced_on,
            getattr(by, "pk", None),
        )
        if locked.replaced_on is not None:
            raise ValidationError(_("This exercise was already changed."), code="replaced")
        raise ValidationError(
            _("There is no such change for this exercise in the library."), code="no_variant"
        )
    copy = library_item_copy(variant)
    copy.pop("weekdays")  # the patient's days stay theirs
    new = AssignmentItem.objects.create(
        assignment_id=locked.assignment_id,
        order=locked.order,
        note=locked.note,
        weekdays=locked.weekdays,
        change=change,
        changed_on=today,
        **copy,
    )
    locked.replaced_on, locked.replaced_by = today, new
    locked.save(update_fields=["replaced_on", "replaced_by"])
    logger.info(
        "exercise changed: item=%s new_item=%s assignment=%s change=%s by=%s",
        locked.pk,
        new.pk,
        locked.assignment_id,
        change,
        getattr(by, "pk", None),
    )
    return new


def outdated_items(*, assignment: Assignment) -> list[AssignmentItem]:
    """The assignment's exercises in use whose library item changed since they were copied."""
    return [
        item
        for item in assignment.items.filter(replaced_on__isnull=True).select_related("library_item")
        if item.is_outdated
    ]
