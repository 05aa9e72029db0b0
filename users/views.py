from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

# Each role's home, by URL name. Later apps' pages are named here, not imported
# (users knows no other app).
ROLE_HOMES = {
    "patient": "patients:today",
    "clinician": "patients:clinic",
    "editor": "admin:index",
    "admin": "admin:index",
}


@login_required
def home(request: HttpRequest) -> HttpResponse:
    return redirect(ROLE_HOMES.get(request.user.role, "trigger:muscle_list"))
