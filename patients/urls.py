"""The clinic (/clinic/...) and the patient's own pages (/me/...), one namespace."""

from django.urls import include, path

from .views import clinic, me, reminders

app_name = "patients"

clinic_patterns = [
    path("", clinic.clinic, name="clinic"),
    path("patients/new/", clinic.patient_create, name="patient_create"),
    path("patients/<int:pk>/", clinic.patient_detail, name="patient_detail"),
    path("patients/<int:pk>/edit/", clinic.patient_edit, name="patient_edit"),
    path("patients/<int:pk>/assign/", clinic.assign, name="assign"),
    path("assignments/<int:pk>/", clinic.assignment_detail, name="assignment_detail"),
    path("assignments/<int:pk>/edit/", clinic.assignment_edit, name="assignment_edit"),
    path("assignments/<int:pk>/status/", clinic.assignment_status, name="assignment_status"),
    path(
        "assignment-items/<int:pk>/edit/",
        clinic.assignment_item_edit,
        name="assignment_item_edit",
    ),
]

me_patterns = [
    path("", me.today, name="today"),
]

urlpatterns = [
    path("reminders/stop/<str:token>/", reminders.stop, name="reminders_stop"),
    path("clinic/", include(clinic_patterns)),
    path("me/", include(me_patterns)),
]
