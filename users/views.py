from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import NoReverseMatch, reverse

# Each role's home, by URL name. Later apps' pages are named here, not imported
# (users knows no other app).
ROLE_HOMES = {
    "patient": ["patients:today"],
    "clinician": ["patients:clinic", "trigger:muscle_list"],
    "editor": ["admin:index"],
    "admin": ["admin:index"],
}


def role_home_url(role: str) -> str:
    """The first of a role's home pages that this deployment has."""
    for name in ROLE_HOMES.get(role, []):
        try:
            return reverse(name)
        except NoReverseMatch:
            continue
    return reverse("trigger:muscle_list")


@login_required
def home(request: HttpRequest) -> HttpResponse:
    return redirect(role_home_url(request.user.role))
