"""The clinic (/clinic/...) and the patient's own pages (/me/...), one namespace."""

from django.urls import include, path

from . import views

app_name = "patients"

clinic_patterns = [
    path("", views.clinic, name="clinic"),
    path("patients/new/", views.patient_create, name="patient_create"),
    path("patients/<int:pk>/", views.patient_detail, name="patient_detail"),
    path("patients/<int:pk>/edit/", views.patient_edit, name="patient_edit"),
    path("patients/<int:pk>/assign/", views.assign, name="assign"),
    path("assignments/<int:pk>/", views.assignment_detail, name="assignment_detail"),
    path("assignments/<int:pk>/edit/", views.assignment_edit, name="assignment_edit"),
    path("assignments/<int:pk>/status/", views.assignment_status, name="assignment_status"),
    path(
        "assignment-items/<int:pk>/edit/",
        views.assignment_item_edit,
        name="assignment_item_edit",
    ),
]

me_patterns = [
    path("", views.today, name="today"),
]

urlpatterns = [
    path("clinic/", include(clinic_patterns)),
    path("me/", include(me_patterns)),
]
