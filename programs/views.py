"""The clinician's programs: the list, the builder and the printable program.

Every view is for clinicians only and fetches programs through ``programs.access``, so
another clinician's program is a 404. Builder actions answer an htmx request with the
changed fragment only, and any other request with a redirect back to the builder, so
every action also works without JavaScript.
"""

from __future__ import annotations

import logging
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from users import once
from users.access import clinician_required

from . import selectors, services
from .access import get_program_for_user, get_program_item_for_user
from .forms import (
    AddItemForm,
    LibrarySearchForm,
    NewFromMuscleForm,
    NewFromTemplateForm,
    ProgramForm,
    ProgramItemForm,
)
from .models import OwnExercise, Program, ProgramItem

logger = logging.getLogger(__name__)

LIST_PAGE_SIZE = 50


# --- The list of programs ---------------------------------------------------------------


def _render_list(request: HttpRequest, *, forms: dict | None = None) -> HttpResponse:
    user = request.user
    tab = request.GET.get("tab", "programs")
    if tab not in selectors.TABS:
        tab = "programs"
    query = request.GET.get("q", "").strip()[:100]
    programs = (
        selectors.programs_in_tab(user=user, tab=tab)
        .select_related("owner")
        .annotate(item_count=Count("items"))
        .order_by("-updated_at", "-id")
    )
    if query:
        programs = programs.filter(title__icontains=query)
    page = Paginator(programs, LIST_PAGE_SIZE).get_page(request.GET.get("page"))
    counts = selectors.program_tab_counts(user=user)
    tabs = [
        (name, label, counts[name])
        for name, label in (
            ("programs", _("Programs")),
            ("templates", _("My templates")),
            ("shared", _("Shared templates")),
        )
    ]
    forms = {
        "empty": ProgramForm(),
        "template": NewFromTemplateForm(user=user),
        "muscle": NewFromMuscleForm(),
        **(forms or {}),
    }
    context = {
        "page": page,
        "programs": page.object_list,
        "tab": tab,
        "tabs": tabs,
        "query": query,
        "forms": forms,
    }
    return render(request, "programs/program_list.html", context)


@clinician_required
@require_GET
def program_list(request: HttpRequest) -> HttpResponse:
    return _render_list(request)


@clinician_required
@require_POST
def program_new(request: HttpRequest) -> HttpResponse:
    """Start a program: empty, from a template (a copy of it) or from a muscle's starter."""
    user = request.user
    start = request.POST.get("start")
    if start == "template":
        form = NewFromTemplateForm(request.POST, user=user)
        if form.is_valid():
            if repeat := once.repeat_of(request, fallback=reverse("programs:list")):
                return repeat
            template = get_program_for_user(user, form.cleaned_data["template"].pk)
            program = services.program_clone(program=template, owner=user, as_template=False)
            messages.success(
                request, _("New program from the template %(title)s.") % {"title": template.title}
            )
            return once.remember(request, redirect(program))
    elif start == "muscle":
        form = NewFromMuscleForm(request.POST)
        if form.needs_title:
            return render_starter_title(
                request, form=form.title_step(), cancel_url=reverse("programs:list")
            )
        if form.is_valid():
            if repeat := once.repeat_of(request, fallback=reverse("programs:list")):
                return repeat
            program = services.program_create_from_muscle(
                owner=user, muscle=form.cleaned_data["muscle"], title=form.cleaned_data["title"]
            )
            messages.success(request, _("Program created with the muscle's home exercises."))
            return once.remember(request, redirect(program))
    else:
        start = "empty"
        form = ProgramForm(request.POST)
        if form.is_valid():
            if repeat := once.repeat_of(request, fallback=reverse("programs:list")):
                return repeat
            program = services.program_create(
                owner=user,
                title=form.cleaned_data["title"],
                description=form.cleaned_data["description"],
            )
            messages.success(request, _("Program created. Add exercises from the library."))
            return once.remember(request, redirect(program))
    return _render_list(request, forms={start: form})


def render_starter_title(
    request: HttpRequest,
    *,
    form: NewFromMuscleForm,
    cancel_url: str,
    action: str = "",
    patient_name: str = "",
) -> HttpResponse:
    """The second step of "Create starter": name it, with the title prefilled."""
    return render(
        request,
        "programs/program_starter.html",
        {
            "form": form,
            "action": action or reverse("programs:new"),
            "cancel_url": cancel_url,
            "patient_name": patient_name,
        },
    )


# --- The builder --------------------------------------------------------------------------


def _describe(item: ProgramItem, *, form: ProgramItemForm | None = None) -> ProgramItem:
    """Give an item what its fragment shows: its edit form."""
    item.form = form or ProgramItemForm(instance=item, auto_id=f"item-{item.pk}-%s")
    item.form_open = form is not None
    return item


def _items(program: Program, *, bound: ProgramItemForm | None = None) -> list[ProgramItem]:
    items = list(program.items.select_related("library_item", "own_exercise"))
    for item in items:
        _describe(item, form=bound if bound is not None and bound.instance.pk == item.pk else None)
    return items


def _library_query(data) -> str:
    """The library filters to keep across a redirect (known keys only)."""
    kept = [(key, data[key]) for key in ("q", "muscle", "kind", "region") if data.get(key)]
    kept += [("area", slug) for slug in data.getlist("area") if slug]
    return urlencode(kept)


def _library_context(request: HttpRequest) -> dict:
    form = LibrarySearchForm(request.GET)
    results = list(form.results()[: LibrarySearchForm.LIMIT + 1])
    return {
        "library_form": form,
        "library_items": results[: LibrarySearchForm.LIMIT],
        "library_more": len(results) > LibrarySearchForm.LIMIT,
        "library_query": _library_query(request.GET),
    }


def _render_builder(
    request: HttpRequest,
    program: Program,
    *,
    bound_item_form: ProgramItemForm | None = None,
    program_form: ProgramForm | None = None,
) -> HttpResponse:
    can_edit = program.owner_id == request.user.pk
    context = {
        "program": program,
        "can_edit": can_edit,
        "items": _items(program, bound=bound_item_form),
        "program_form": program_form or ProgramForm(instance=program, auto_id="program-%s"),
        "program_form_open": program_form is not None,
    }
    if can_edit:
        context.update(_library_context(request))
        context["own_exercises"] = OwnExercise.objects.visible_to(request.user).select_related(
            "owner"
        )
    return render(request, "programs/program_detail.html", context)


def _fragment(request: HttpRequest, template_name: str, context: dict) -> HttpResponse:
    """An htmx answer: the fragment, plus any messages swapped out of band."""
    html = render_to_string(template_name, context, request)
    html += render_to_string("programs/snippets/messages_oob.html", {}, request)
    return HttpResponse(html)


def _item_list_response(request: HttpRequest, program: Program) -> HttpResponse:
    return _fragment(
        request,
        "programs/program_detail.html#item-list",
        {"program": program, "can_edit": True, "items": _items(program)},
    )


def _item_response(request: HttpRequest, item: ProgramItem, form=None) -> HttpResponse:
    return _fragment(
        request,
        "programs/snippets/program_item.html",
        {"item": _describe(item, form=form), "program": item.program, "can_edit": True},
    )


def _back_to_builder(program: Program, anchor: str = "", query: str = "") -> HttpResponse:
    url = program.get_absolute_url()
    if query:
        url += f"?{query}"
    return redirect(f"{url}#{anchor}" if anchor else url)


@clinician_required
@require_GET
def program_detail(request: HttpRequest, pk: int) -> HttpResponse:
    program = get_program_for_user(request.user, pk)
    if request.htmx and request.htmx.target == "library-results":
        if program.owner_id != request.user.pk:
            raise Http404
        context = {"program": program, "can_edit": True, **_library_context(request)}
        response = render(request, "programs/program_detail.html#library-results", context)
    else:
        response = _render_builder(request, program)
    # One URL answers with the page or, to htmx, the library results alone.
    patch_vary_headers(response, ["HX-Request", "HX-Target"])
    return response


@clinician_required
@require_POST
def program_update(request: HttpRequest, pk: int) -> HttpResponse:
    program = get_program_for_user(request.user, pk, write=True)
    form = ProgramForm(request.POST, instance=program, auto_id="program-%s")
    if form.is_valid():
        form.save()
        messages.success(request, _("Saved."))
        return _back_to_builder(program)
    # The shown title stays the saved one; the form keeps what was typed.
    program.refresh_from_db(fields=["title", "description"])
    return _render_builder(request, program, program_form=form)


@clinician_required
@require_POST
def program_clone(request: HttpRequest, pk: int) -> HttpResponse:
    """Copy a program or template (own, or shared in the practice) into the user's own."""
    program = get_program_for_user(request.user, pk)
    as_template = {"1": True, "0": False}.get(request.POST.get("as_template", ""))
    copy = services.program_clone(program=program, owner=request.user, as_template=as_template)
    if copy.is_template:
        messages.success(request, _("Saved as a template in your templates."))
    else:
        messages.success(request, _("Copied to your programs."))
    return redirect(copy)


@clinician_required
@require_POST
def program_share(request: HttpRequest, pk: int) -> HttpResponse:
    program = get_program_for_user(request.user, pk, write=True)
    try:
        services.program_share(program=program, shared=request.POST.get("shared") == "1")
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return _back_to_builder(program)
    if program.shared_with_practice:
        messages.success(request, _("Shared with the clinicians of your practice (read-only)."))
    else:
        messages.success(request, _("This template is private again."))
    return _back_to_builder(program)


@clinician_required
@require_http_methods(["GET", "POST"])
def program_delete(request: HttpRequest, pk: int) -> HttpResponse:
    program = get_program_for_user(request.user, pk, write=True)
    if request.method == "POST":
        title = program.title
        services.program_delete(program=program)
        messages.success(request, _("Deleted %(title)s.") % {"title": title})
        return redirect("programs:list")
    return render(request, "programs/program_confirm_delete.html", {"program": program})


# --- Items ----------------------------------------------------------------------------------


def _get_item(request: HttpRequest, pk: int, item_pk: int) -> ProgramItem:
    item = get_program_item_for_user(request.user, item_pk)
    if item.program_id != pk:
        raise Http404
    return item


@clinician_required
@require_POST
def item_add(request: HttpRequest, pk: int) -> HttpResponse:
    program = get_program_for_user(request.user, pk, write=True)
    form = AddItemForm(request.POST)
    item = None
    if form.is_valid():
        library_item = form.cleaned_data["library_item"]
        try:
            item = services.program_add_item(
                program=program, library_item=library_item, again=request.POST.get("confirm") == "1"
            )
        except services.AlreadyInProgram:
            # Ask first (a page without JavaScript, a prompt with it).
            return _duplicate_prompt(request, program, library_item)
        except ValidationError as error:
            for message in error.messages:
                messages.error(request, message)
        else:
            messages.success(request, _("Added %(name)s.") % {"name": item.name})
    else:
        for message in form.errors.get("library_item", []):
            messages.error(request, message)
    if request.htmx:
        return _item_list_response(request, program)
    anchor = f"item-{item.pk}" if item else "items"
    return _back_to_builder(program, anchor, _library_query(request.GET))


def _duplicate_prompt(request: HttpRequest, program: Program, library_item) -> HttpResponse:
    context = {
        "program": program,
        "library_item": library_item,
        "library_query": _library_query(request.GET),
    }
    if request.htmx:
        html = render_to_string("programs/snippets/duplicate_prompt.html", context, request)
        response = HttpResponse(html)
        # The prompt replaces the messages box; the list of exercises is left as it is.
        response["HX-Retarget"] = "#builder-messages"
        response["HX-Reswap"] = "outerHTML"
        return response
    return render(request, "programs/item_duplicate.html", context)


@clinician_required
@require_POST
def item_reorder(request: HttpRequest, pk: int) -> HttpResponse:
    """Put the items in the order given (``item`` ids, first to last): drag and drop."""
    program = get_program_for_user(request.user, pk, write=True)
    try:
        ids = [int(value) for value in request.POST.getlist("item")]
        services.program_items_reorder(program=program, item_ids=ids)
    except (ValueError, ValidationError):
        logger.warning(
            "Reorder refused: program=%s user=%s items=%s",
            program.pk,
            request.user.pk,
            request.POST.getlist("item")[:50],
        )
        messages.error(request, _("The list of exercises has changed; reload the page."))
    if request.htmx:
        return _item_list_response(request, program)
    return _back_to_builder(program, "items")


@clinician_required
@require_POST
def item_edit(request: HttpRequest, pk: int, item_pk: int) -> HttpResponse:
    item = _get_item(request, pk, item_pk)
    form = ProgramItemForm(request.POST, instance=item, auto_id=f"item-{item.pk}-%s")
    if form.is_valid():
        form.save()
        messages.success(request, _("Saved %(name)s.") % {"name": item.name})
        if request.htmx:
            return _item_response(request, item)
        return _back_to_builder(item.program, f"item-{item.pk}")
    # Nothing was saved: show the stored dosage beside the form with its errors.
    item.refresh_from_db(fields=ProgramItemForm.Meta.fields)
    if request.htmx:
        return _item_response(request, item, form)
    return _render_builder(request, item.program, bound_item_form=form)


@clinician_required
@require_POST
def item_refresh(request: HttpRequest, pk: int, item_pk: int) -> HttpResponse:
    item = _get_item(request, pk, item_pk)
    services.program_item_refresh(item=item)
    messages.success(request, _("%(name)s now reads as in the library.") % {"name": item.name})
    if request.htmx:
        return _item_response(request, item)
    return _back_to_builder(item.program, f"item-{item.pk}")


@clinician_required
@require_POST
def item_move(request: HttpRequest, pk: int, item_pk: int) -> HttpResponse:
    item = _get_item(request, pk, item_pk)
    offset = {"up": -1, "down": 1}.get(request.POST.get("direction", ""))
    if offset is not None:
        services.program_item_move(item=item, offset=offset)
    if request.htmx:
        return _item_list_response(request, item.program)
    return _back_to_builder(item.program, f"item-{item.pk}")


@clinician_required
@require_POST
def item_remove(request: HttpRequest, pk: int, item_pk: int) -> HttpResponse:
    item = _get_item(request, pk, item_pk)
    program = item.program
    services.program_item_remove(item=item)
    messages.success(request, _("Removed %(name)s.") % {"name": item.name})
    if request.htmx:
        return _item_list_response(request, program)
    return _back_to_builder(program, "items")


# --- Printing -------------------------------------------------------------------------------


@clinician_required
@require_GET
def program_print(request: HttpRequest, pk: int) -> HttpResponse:
    program = get_program_for_user(request.user, pk)
    items = [
        _describe_for_print(item)
        for item in program.items.select_related("library_item", "own_exercise")
    ]
    return render(request, "programs/program_print.html", {"program": program, "items": items})


def _describe_for_print(item: ProgramItem) -> ProgramItem:
    media = item.media  # the library item, or the clinician's own exercise
    item.library_image = media.image if media and media.image else None
    item.library_image_alt = media.image_alt if item.library_image else ""
    return item
