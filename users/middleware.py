"""Session length by role, and two-factor authentication where the settings require it."""

import time
from collections.abc import Callable

from allauth.mfa.models import Authenticator
from django.conf import settings
from django.contrib import messages
from django.contrib.sessions.backends.base import SessionBase
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import gettext as _

# A session's expiry is renewed at most this often: an idle timeout precise to a minute
# costs one session write a minute, not one per request. Patients' month-long sessions
# are renewed at most once a day.
STAFF_RENEW_SECONDS = 60
PATIENT_RENEW_SECONDS = 24 * 3600
RENEWED_AT_KEY = "users_session_renewed_at"


class SessionExpiryMiddleware:
    """Clinicians, editors and administrators: signed out after CLINICIAN_IDLE_SECONDS
    without a request. Patients: PATIENT_SESSION_SECONDS, renewed as they use the app.

    Applied after the view, so a session that has just signed in (allauth's login, an
    invitation) gets its role's length at once, not only on the next request.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        user = getattr(request, "user", None)
        session = getattr(request, "session", None)
        if user is not None and session is not None and user.is_authenticated:
            renew_session_expiry(session=session, user=user)
        return response


def renew_session_expiry(*, session: SessionBase, user, force: bool = False) -> None:
    """Give the session its role's length, unless it was renewed a moment ago.

    Also called at sign-in (users.models, user_logged_in), so a fresh session starts
    with the right length and is not written again on its first request.
    """
    if user.is_patient:
        age, renew_every = settings.PATIENT_SESSION_SECONDS, PATIENT_RENEW_SECONDS
    else:
        age, renew_every = settings.CLINICIAN_IDLE_SECONDS, STAFF_RENEW_SECONDS
    now = int(time.time())
    renewed_at = session.get(RENEWED_AT_KEY, 0)
    if force or session.get_expiry_age() != age or now - renewed_at >= renew_every:
        session[RENEWED_AT_KEY] = now
        session.set_expiry(age)


class MfaRequiredMiddleware:
    """A signed-in user whose role is in MFA_REQUIRED_ROLES and who has no activated
    authenticator app is sent to set one up, from every page but the account pages
    (two-factor setup, password, sign out), static files and the health check."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if self._must_set_up(request):
            messages.warning(
                request,
                _(
                    "Your account must be protected by two-factor authentication. "
                    "Set up an authenticator app to continue."
                ),
            )
            return redirect("mfa_activate_totp")
        return self.get_response(request)

    @staticmethod
    def _must_set_up(request: HttpRequest) -> bool:
        roles = settings.MFA_REQUIRED_ROLES
        if not roles:
            return False
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or user.role not in roles:
            return False
        exempt = ("/accounts/", "/" + settings.STATIC_URL.lstrip("/"), "/healthz")
        if request.path.startswith(exempt):
            return False
        return not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()


class NoStoreMiddleware:
    """``Cache-Control: no-store, private`` on every response that sets no cache header of
    its own: the app's pages hold personal data (a patient's day, a clinician's patient
    list, exports), and neither a shared computer's back button nor a proxy may keep them.

    Responses that choose their own caching keep it: the PWA manifest, the offline page
    and the service worker (patients/views/pwa.py). Static files never get here: WhiteNoise
    answers them earlier in the middleware list, with its own long-lived headers.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if not response.has_header("Cache-Control"):
            response["Cache-Control"] = "no-store, private"
        return response


PRACTICE_ZONE_KEY = "users_practice_time_zone"


def remember_practice_zone(*, session: SessionBase, user) -> str:
    """Keep the user's practice time zone in their session ("" for none), so that later
    requests need no query for it. A zone changed in the admin applies from the next
    sign-in."""
    practice = user.practice if user.practice_id else None
    zone = str(practice.time_zone) if practice is not None else ""
    session[PRACTICE_ZONE_KEY] = zone
    return zone


class PracticeTimeZoneMiddleware:
    """A clinician's pages are on their practice's clock: "today" on the dashboard, and
    every time shown, are the practice's (users.Practice.time_zone). Others keep the
    server's zone; patients' pages name their own zone where they show times."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        session = getattr(request, "session", None)
        zone = ""
        if user is not None and session is not None and user.is_authenticated:
            zone = session.get(PRACTICE_ZONE_KEY)
            if zone is None:  # a session from before the key existed
                zone = remember_practice_zone(session=session, user=user)
        if zone:
            timezone.activate(zone)
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()
