from allauth.account import views as account_views
from allauth.account.decorators import secure_admin_login
from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

from users import views as user_views

from .health import healthz
from .media import serve_media

admin.site.site_header = _("Trigger-point library administration")
admin.site.site_title = _("Trigger-point library")
# The admin signs in through allauth's login: its rate limits and two-factor step apply.
# A signed-in patient or clinician who opens it is sent to their own home with a message.
admin.site.login = user_views.admin_login_for_staff_only(secure_admin_login(admin.site.login))

urlpatterns = [
    path("", user_views.home, name="home"),
    path("healthz", healthz, name="healthz"),
    # django-allauth at /accounts/ (login, logout by POST, login by code, password reset,
    # two-factor authentication). "login" and "logout" stay as names for the same views.
    path("accounts/login/", account_views.login, name="login"),
    path("accounts/logout/", account_views.logout, name="logout"),
    # One address, one account: nobody manages their own addresses (users.views).
    path("accounts/email/", user_views.email_closed, name="account_email"),
    path("accounts/", include("allauth.urls")),
    path("accounts/", include("users.urls")),
    path("library/", include("trigger.urls")),
    path("programs/", include("programs.urls")),
    # /clinic/... and /me/... (one "patients" namespace for both).
    path("", include("patients.urls")),
    path("admin/", admin.site.urls),
    # Uploaded media for signed-in users, in development and production alike (config/media.py).
    path(f"{settings.MEDIA_URL.strip('/')}/<path:path>", serve_media, name="media"),
]
