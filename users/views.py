import logging
from collections.abc import Callable
from functools import wraps

from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from .models import user_sign_out_everywhere

logger = logging.getLogger(__name__)

# Each role's home, by URL name. Later apps' pages are named here, not imported
# (users knows no other app).
ROLE_HOMES = {
    "patient": "patients:today",
    "clinician": "patients:clinic",
    "editor": "admin:index",
    "admin": "admin:index",
}


def admin_login_for_staff_only(admin_login: Callable[..., HttpResponse]) -> Callable:
    """Wrap the admin's login view: someone signed in who is not staff (a patient or a
    clinician who followed a link to /admin/) goes to their own home with a message,
    instead of a bare 403."""

    @wraps(admin_login)
    def view(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        user = request.user
        if user.is_authenticated and not (user.is_active and user.is_staff):
            messages.info(
                request,
                _(
                    "The administration site is for content editors and administrators. "
                    "Here is your own home page."
                ),
            )
            return redirect("home")
        return admin_login(request, *args, **kwargs)

    return view


@login_required
def home(request: HttpRequest) -> HttpResponse:
    return redirect(ROLE_HOMES.get(request.user.role, "trigger:muscle_list"))


@login_required
def sessions(request: HttpRequest) -> HttpResponse:
    """The account page: password, two-factor authentication, and "sign out everywhere"
    (every session of the user on every device, this one included)."""
    if request.method == "POST":
        user_sign_out_everywhere(user=request.user)
        logout(request)
        messages.success(
            request, _("You were signed out everywhere, on every device. Sign in again here.")
        )
        return redirect("account_login")
    return render(
        request,
        "account/sessions.html",
        {
            "has_password": request.user.has_usable_password(),
            "home_url_name": ROLE_HOMES.get(request.user.role, "home"),
        },
    )


@login_required
def email_closed(request: HttpRequest) -> HttpResponse:
    """allauth's email-management page (/accounts/email/), closed to everyone.

    One address, one account: nobody adds or changes an address of their own. A patient's
    address is changed by their clinician (and takes effect once the new address confirms
    it); a staff member's by an administrator in the admin. A second address added here
    could take over another person's code sign-in (issue 11)."""
    if request.method == "POST":
        logger.warning(
            "Email page refused a %s: user %s (role %s) may not change their own address.",
            request.method,
            request.user.pk,
            request.user.role,
        )
    if request.user.role == "patient":
        message = _(
            "Your clinic manages your email address. To change it, ask your clinician: "
            "the new address will be asked to confirm it."
        )
    else:
        message = _("Email addresses are changed by an administrator of the service.")
    messages.info(request, message)
    return redirect(ROLE_HOMES.get(request.user.role, "home"))
