"""Our account pages, beside allauth's under /accounts/."""

from django.urls import path

from . import views

app_name = "users"

urlpatterns = [
    path("sessions/", views.sessions, name="sessions"),
]
