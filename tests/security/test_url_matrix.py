"""The authorization matrix: every URL pattern of the project, for every kind of visitor.

The patterns are read from the URLconf, so a new URL is covered automatically: a name
missing from ``EXPECTATIONS`` (and not skipped, with a reason, in ``SKIPPED``) fails
``test_every_url_pattern_has_an_expectation`` with its name.

Every URL is opened (GET) by anonymous, a patient, another patient, a clinician, another
clinician, an editor and an administrator, with its arguments filled from objects that
belong to the *other* clinician and their patient (``theirs``). Expected:

- anonymous on a private page: a redirect to the login page;
- a signed-in user of the wrong role: 403;
- the right role but someone else's object: 404 (nothing tells them it exists);
- the owner: 200, a redirect, or 405 for an action that takes a POST.

Every URL that changes something is also POSTed to with no body: never a 500, and for
anyone but the owner the owner's rows are unchanged (``snapshot``). Each POST runs in a
savepoint that is rolled back, so the owner's data is the same for the next URL.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from django.contrib.auth import SESSION_KEY
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from tests.security.conftest import Side, snapshot

pytestmark = pytest.mark.django_db

ANON = "anonymous"
PATIENT = "patient"
OTHER_PATIENT = "other patient"
CLINICIAN = "clinician"
OTHER_CLINICIAN = "other clinician"
EDITOR = "editor"
ADMIN = "administrator"
PERSONAS = [ANON, PATIENT, OTHER_PATIENT, CLINICIAN, OTHER_CLINICIAN, EDITOR, ADMIN]
ROLE = {
    PATIENT: "patient",
    OTHER_PATIENT: "patient",
    CLINICIAN: "clinician",
    OTHER_CLINICIAN: "clinician",
    EDITOR: "editor",
    ADMIN: "admin",
}
OWNER_OK = {200, 302, 405}
LOGIN = "login"


@dataclass(frozen=True)
class Rule:
    """Who may open a URL. ``roles`` None: anyone, signed in or not (``public``)."""

    roles: frozenset[str] | None = None
    # For object URLs: the personas whose object it is (others of the role get 404).
    owners: frozenset[str] | None = None
    public: frozenset[int] = frozenset()
    mutating: bool = False
    # Takes only POST, refused (405) before any lookup: a GET learns nothing either way.
    post_only: bool = False
    # A link whose token is the credential (invitation, stop reminders): whoever holds it
    # may act, so a POST may change the owner's data by design.
    token: bool = False
    note: str = field(default="", compare=False)

    def expected(self, persona: str, method: str = "GET") -> set[int] | str:
        if self.roles is None:
            return set(self.public)
        if persona == ANON:
            return LOGIN
        if ROLE[persona] not in self.roles:
            return {403}
        if self.post_only and method == "GET":
            return {405}
        if self.owners is not None and persona not in self.owners:
            return {404}
        return OWNER_OK


def public(*codes: int, mutating: bool = False, token: bool = False) -> Rule:
    return Rule(public=frozenset(codes), mutating=mutating, token=token)


def role(*roles: str, mutating: bool = False, post_only: bool = False) -> Rule:
    return Rule(roles=frozenset(roles), mutating=mutating or post_only, post_only=post_only)


def owned(
    *roles: str, owners=(OTHER_CLINICIAN,), mutating: bool = False, post_only: bool = False
) -> Rule:
    return Rule(
        roles=frozenset(roles),
        owners=frozenset(owners),
        mutating=mutating or post_only,
        post_only=post_only,
    )


SIGNED_IN = frozenset({"patient", "clinician", "editor", "admin"})
THEIR_PATIENT = (OTHER_PATIENT,)

EXPECTATIONS: dict[str, Rule] = {
    # --- Public ---------------------------------------------------------------------------
    "home": Rule(roles=SIGNED_IN),
    "healthz": public(200, 503),
    "login": public(200, 302),  # allauth's login under our name: signed-in users move on
    "logout": public(200, 302),  # allauth's sign-out page: a POST signs out
    "patients:manifest": public(200),
    "patients:service_worker": public(200),
    "patients:offline": public(200),
    "patients:reminders_stop": public(200, mutating=True, token=True),
    "patients:invitation": public(200, 302, mutating=True, token=True),
    # --- Any signed-in user ---------------------------------------------------------------
    "users:sessions": Rule(roles=SIGNED_IN, mutating=True),
    # Library media (config/media.py): not patient data, but the clinic's.
    "media": Rule(roles=SIGNED_IN),
    # allauth's email page, closed: everyone is sent home with a message, a POST changes
    # nothing (tests/users/test_one_address.py checks where each role lands).
    "account_email": Rule(roles=SIGNED_IN, mutating=True),
    # --- The library: clinicians, editors, administrators ---------------------------------
    "trigger:muscle_list": role("clinician", "editor", "admin"),
    "trigger:muscle_detail": role("clinician", "editor", "admin"),
    "trigger:where": role("clinician", "editor", "admin"),
    # --- Programs: clinicians, own programs only ------------------------------------------
    "programs:list": role("clinician"),
    "programs:new": role("clinician", post_only=True),
    "programs:detail": owned("clinician"),
    "programs:print": owned("clinician"),
    "programs:update": owned("clinician", post_only=True),
    "programs:clone": owned("clinician", post_only=True),
    "programs:share": owned("clinician", post_only=True),
    "programs:delete": owned("clinician", mutating=True),
    "programs:item_add": owned("clinician", post_only=True),
    "programs:item_reorder": owned("clinician", post_only=True),
    "programs:item_edit": owned("clinician", post_only=True),
    "programs:item_refresh": owned("clinician", post_only=True),
    "programs:item_move": owned("clinician", post_only=True),
    "programs:item_remove": owned("clinician", post_only=True),
    "programs:item_add_own": owned("clinician", post_only=True),
    # A clinician's own exercises (a private one here: a colleague would get 404 too).
    "programs:exercise_list": role("clinician"),
    "programs:exercise_new": role("clinician", mutating=True),
    "programs:exercise_detail": owned("clinician"),
    "programs:exercise_edit": owned("clinician", mutating=True),
    # --- The clinic: clinicians, own patients only ----------------------------------------
    "patients:clinic": role("clinician"),
    "patients:patient_create": role("clinician", mutating=True),
    "patients:patient_detail": owned("clinician"),
    "patients:patient_edit": owned("clinician", mutating=True),
    "patients:assign": owned("clinician", mutating=True),
    "patients:patient_starter": owned("clinician", mutating=True),
    "patients:program_assign": owned("clinician"),
    "patients:patient_invite": owned("clinician", post_only=True),
    "patients:patient_test_reminder": owned("clinician", mutating=True),
    "patients:patient_unlock": owned("clinician", post_only=True),
    "patients:patient_resume_exercises": owned("clinician", mutating=True),
    "patients:patient_export_csv": owned("clinician"),
    "patients:patient_export_fhir": owned("clinician"),
    "patients:alert_acknowledge": owned("clinician", mutating=True),
    "patients:assignment_detail": owned("clinician"),
    "patients:assignment_print": owned("clinician"),
    "patients:assignment_edit": owned("clinician", mutating=True),
    "patients:assignment_status": owned("clinician", mutating=True),
    "patients:assignment_item_edit": owned("clinician", mutating=True),
    "patients:assignment_item_change": owned("clinician", mutating=True),
    "patients:assignment_outcomes": owned("clinician", mutating=True),
    # Erasure: the patient's clinician, or any administrator.
    "patients:patient_erase": owned(
        "clinician", "admin", owners=(OTHER_CLINICIAN, ADMIN), mutating=True
    ),
    # --- The patient's own pages ----------------------------------------------------------
    "patients:today": role("patient"),
    "patients:my_handout": role("patient"),
    "patients:welcome": role("patient"),
    "patients:yesterday": role("patient"),
    "patients:history": role("patient"),
    "patients:pain": role("patient", mutating=True),
    "patients:reminder_settings": role("patient", mutating=True),
    "patients:my_data": role("patient"),
    "patients:my_data_json": role("patient"),
    "patients:my_data_csv": role("patient"),
    "patients:exercise_log": owned("patient", owners=THEIR_PATIENT, post_only=True),
    "patients:exercise_log_undo": owned("patient", owners=THEIR_PATIENT, post_only=True),
    "patients:exercise_log_feedback": owned("patient", owners=THEIR_PATIENT, post_only=True),
    "patients:session": role("patient"),
    "patients:session_summary": role("patient"),
    "patients:session_step": owned("patient", owners=THEIR_PATIENT, mutating=True),
    "patients:pain_logged": owned("patient", owners=THEIR_PATIENT),
    # Outcome measures: the list of what is due, and one questionnaire of the patient's own
    # assignment (not due: the owner is sent to their history).
    "patients:questionnaires": role("patient"),
    "patients:questionnaire": owned("patient", owners=THEIR_PATIENT, mutating=True),
}

# Patterns not walked here, and why.
SKIPPED_PREFIXES = {
    "admin:": "Django admin: its own permission system (is_staff + model permissions); "
    "tests/users/test_admin.py and tests/security/test_audit.py check who reaches it.",
    "account_": "allauth's own account pages (login, code, password reset, email): "
    "allauth's test suite, tests/users/test_login.py and test_lockout.py cover them.",
    "mfa_": "allauth's two-factor pages: tests/users/test_mfa.py covers them.",
}


def _skipped(name: str) -> bool:
    if name in EXPECTATIONS:
        return False
    return any(name.startswith(prefix) for prefix in SKIPPED_PREFIXES)


def walk(patterns, namespace: str = "", route: str = ""):
    """(name or None, route, converters) of every pattern, through includes."""
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = namespace
            if pattern.namespace:
                inner = f"{namespace}:{pattern.namespace}" if namespace else pattern.namespace
            yield from walk(pattern.url_patterns, inner, route + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            name = pattern.name and (f"{namespace}:{pattern.name}" if namespace else pattern.name)
            yield name, route + str(pattern.pattern), list(pattern.pattern.converters)


def project_patterns() -> list[tuple[str | None, str, list[str]]]:
    return list(walk(get_resolver().url_patterns))


def url_kwargs(name: str, params: list[str], side: Side) -> dict:
    """The arguments of ``name``, taken from ``side``'s objects."""
    pk_of = {
        "programs:": side.program.pk,
        "programs:exercise_": side.own_exercise.pk,
        "patients:alert_acknowledge": side.alert.pk,
        "patients:assignment_item_edit": side.assignment_item.pk,
        "patients:assignment_item_change": side.assignment_item.pk,
        "patients:assignment_": side.assignment.pk,
        "patients:exercise_log_undo": side.exercise_log.pk,
        "patients:exercise_log_feedback": side.exercise_log.pk,
        "patients:session_step": side.assignment_item.pk,
        "patients:exercise_log": side.assignment_item.pk,
        "patients:pain_logged": side.pain_log.pk,
        "patients:patient_": side.patient.pk,
        "patients:assign": side.patient.pk,
        "patients:program_assign": side.program.pk,
    }
    by_param = {
        "item_pk": side.program_item.pk,
        "assignment_pk": side.assignment.pk,
        "slug": "psfs" if name == "patients:questionnaire" else "gastrocnemius",
        "path": side.media_path,
    }
    tokens = {
        "patients:invitation": side.invitation_token,
        "patients:reminders_stop": side.stop_token,
    }
    kwargs = {}
    for param in params:
        if param == "pk":
            # The longest matching prefix wins ("assignment_item_edit" before "assignment_").
            prefix = max((p for p in pk_of if name.startswith(p)), key=len, default=None)
            if prefix is None:
                raise AssertionError(f"No object for the pk of {name}: add it to url_kwargs")
            kwargs[param] = pk_of[prefix]
        elif param == "token" and name in tokens:
            kwargs[param] = tokens[name]
        elif param in by_param:
            kwargs[param] = by_param[param]
        else:
            raise AssertionError(f"No value for {param!r} of {name}: add it to url_kwargs")
    return kwargs


def test_every_url_pattern_has_an_expectation():
    missing = []
    for name, route, _params in project_patterns():
        if name is None:
            if route.startswith("admin/"):
                continue
            missing.append(f"(unnamed) {route}")
        elif not _skipped(name) and name not in EXPECTATIONS:
            missing.append(name)
    assert not missing, (
        "URL patterns with no expectation in tests/security/test_url_matrix.py "
        f"(say who may open them): {', '.join(missing)}"
    )


def test_the_expectation_table_names_no_url_that_is_gone():
    names = {name for name, _route, _params in project_patterns()}
    assert set(EXPECTATIONS) <= names, set(EXPECTATIONS) - names


def _assert_status(response, expected, *, persona: str, method: str, name: str, url: str):
    where = f"{method} {url} ({name}) as {persona}"
    assert response.status_code != 500, f"500 on {where}"
    if expected == LOGIN:
        assert response.status_code == 302, f"{where}: {response.status_code}, not a redirect"
        assert response["Location"].startswith(reverse("account_login")), (
            f"{where} redirects to {response['Location']}, not to the login page"
        )
    else:
        assert response.status_code in expected, (
            f"{where}: {response.status_code}, expected one of {sorted(expected)}"
        )


@pytest.mark.parametrize("persona", PERSONAS)
def test_each_url_answers_each_persona_as_expected(
    persona,
    mine,
    theirs,
    editor,
    administrator,
    own_cache,
    mailoutbox,
):
    users = {
        ANON: None,
        PATIENT: mine.patient_user,
        OTHER_PATIENT: theirs.patient_user,
        CLINICIAN: mine.clinician,
        OTHER_CLINICIAN: theirs.clinician,
        EDITOR: editor,
        ADMIN: administrator,
    }
    user = users[persona]
    client = Client(raise_request_exception=False)

    def sign_in_again() -> None:
        # A POST may sign the client out (sign out, sign out everywhere, an invitation
        # link signing in someone else): each request starts as the persona.
        if user is None:
            if client.session.get(SESSION_KEY) is not None:
                client.logout()
        elif client.session.get(SESSION_KEY) != str(user.pk):
            client.force_login(user)

    is_owner = persona in (OTHER_CLINICIAN, OTHER_PATIENT, ADMIN)
    before = snapshot(theirs)
    for name, _route, params in project_patterns():
        if name is None or _skipped(name):
            continue
        rule = EXPECTATIONS[name]
        url = reverse(name, kwargs=url_kwargs(name, params, theirs))
        expected = rule.expected(persona)

        sign_in_again()
        response = client.get(url)
        _assert_status(response, expected, persona=persona, method="GET", name=name, url=url)
        assert snapshot(theirs) == before, f"GET {url} ({name}) as {persona} changed their data"

        if not rule.mutating:
            continue
        sign_in_again()
        with transaction.atomic():
            response = client.post(url)
            assert response.status_code != 500, f"500 on POST {url} ({name}) as {persona}"
            if rule.roles is not None:
                expected = rule.expected(persona, "POST")
                post_expected = expected if expected in (LOGIN, {403}, {404}) else None
                if post_expected is not None:
                    _assert_status(
                        response,
                        post_expected,
                        persona=persona,
                        method="POST",
                        name=name,
                        url=url,
                    )
            changes_allowed = rule.token or (is_owner and expected not in (LOGIN, {403}, {404}))
            if not changes_allowed:
                assert snapshot(theirs) == before, (
                    f"POST {url} ({name}) as {persona} changed the owner's data"
                )
            transaction.set_rollback(True)


# --- No page is kept by a browser or a proxy -------------------------------------------------

# Pages that choose their own caching: they hold no personal data (patients/views/pwa.py).
SELF_CACHED = {"patients:manifest", "patients:service_worker", "patients:offline"}
# Library pictures and videos: no personal data; a browser may keep them for an hour, for
# the signed-in user only (private), so a phone does not fetch them on every page.
LIBRARY_MEDIA = {"media"}
# Each kind of page the walk below must have opened (so the check cannot pass empty).
MUST_ANSWER = {
    ANON: ["login", "patients:invitation", "patients:reminders_stop"],
    OTHER_PATIENT: [
        "patients:today",
        "patients:history",
        "patients:pain",
        "patients:reminder_settings",
        "patients:my_data",
        "patients:my_data_json",
        "patients:my_data_csv",
        "patients:pain_logged",
    ],
    OTHER_CLINICIAN: [
        "patients:clinic",
        "patients:patient_detail",
        "patients:patient_edit",
        "patients:assign",
        "patients:assignment_detail",
        "patients:patient_export_csv",
        "patients:patient_export_fhir",
        "patients:patient_erase",
        "programs:print",
        "programs:detail",
    ],
    EDITOR: ["trigger:muscle_list", "trigger:muscle_detail"],
    ADMIN: ["patients:patient_erase", "users:sessions"],
}


@pytest.mark.parametrize("persona", [ANON, OTHER_PATIENT, OTHER_CLINICIAN, EDITOR, ADMIN])
def test_every_page_answered_is_marked_no_store_and_private(
    persona, theirs, editor, administrator, own_cache
):
    """Every page and export each visitor opens (the owners of ``theirs`` open theirs:
    /me/*, /me/data.*, /clinic/*, exports, print): ``Cache-Control: no-store, private``."""
    users = {
        ANON: None,
        OTHER_PATIENT: theirs.patient_user,
        OTHER_CLINICIAN: theirs.clinician,
        EDITOR: editor,
        ADMIN: administrator,
    }
    client = Client(raise_request_exception=False)
    if users[persona] is not None:
        client.force_login(users[persona])
    answered = []
    for name, _route, params in project_patterns():
        if name is None or _skipped(name) or name in SELF_CACHED | LIBRARY_MEDIA:
            continue
        url = reverse(name, kwargs=url_kwargs(name, params, theirs))
        response = client.get(url)
        if response.status_code != 200:
            continue
        answered.append(name)
        directives = {d.strip() for d in response.get("Cache-Control", "").split(",")}
        assert {"no-store", "private"} <= directives, f"GET {url} ({name}) as {persona}"
    assert set(MUST_ANSWER[persona]) <= set(answered), persona


def test_the_app_shell_keeps_its_own_cache_headers(client, patient_user):
    client.force_login(patient_user)

    for name in sorted(SELF_CACHED):
        response = client.get(reverse(name))

        assert response.status_code == 200, name
        assert "no-store" not in response["Cache-Control"], name


def test_the_admin_and_the_sign_in_pages_are_not_stored_either(client, administrator):
    anonymous = client.get(reverse("account_login"))
    client.force_login(administrator)
    admin_page = client.get(reverse("admin:users_user_changelist"))

    for response in (anonymous, admin_page):
        assert response.status_code == 200
        assert "no-store" in response["Cache-Control"]
        assert "private" in response["Cache-Control"]
