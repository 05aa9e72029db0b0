"""The one way views fetch programs: scoped to the requesting clinician, else 404."""

from django.http import Http404

from .models import OwnExercise, Program, ProgramItem


def get_program_for_user(user, pk: int, *, write: bool = False) -> Program:
    """A program the user may see (own, or a template shared in their practice).

    With ``write``, only the user's own programs; a shared template is read-only and
    anything else is a 404, so another clinician cannot learn that it exists.
    """
    queryset = Program.objects.editable_by(user) if write else Program.objects.visible_to(user)
    try:
        return queryset.select_related("owner").get(pk=pk)
    except Program.DoesNotExist:
        raise Http404 from None


def get_program_item_for_user(user, pk: int) -> ProgramItem:
    """An item of one of the user's own programs, for changing it."""
    try:
        return ProgramItem.objects.select_related("program", "library_item").get(
            pk=pk, program__owner=user
        )
    except ProgramItem.DoesNotExist:
        raise Http404 from None


def get_own_exercise_for_user(user, pk: int, *, write: bool = False) -> OwnExercise:
    """A clinician's own exercise, or one shared in their practice (read-only); with
    ``write``, only their own. Anything else is a 404."""
    queryset = (
        OwnExercise.objects.editable_by(user) if write else OwnExercise.objects.visible_to(user)
    )
    try:
        return queryset.select_related("owner").get(pk=pk)
    except OwnExercise.DoesNotExist:
        raise Http404 from None
