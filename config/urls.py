from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

from users import views as user_views

from .health import healthz

admin.site.site_header = _("Trigger-point library administration")
admin.site.site_title = _("Trigger-point library")

urlpatterns = [
    path("", user_views.home, name="home"),
    path("healthz", healthz, name="healthz"),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(redirect_authenticated_user=True),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("library/", include("trigger.urls")),
    path("programs/", include("programs.urls")),
    # /clinic/... and /me/... (one "patients" namespace for both).
    path("", include("patients.urls")),
    path("admin/", admin.site.urls),
]

if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
