"""The clinic (/clinic/...) and the patient's own pages (/me/...), one namespace."""

from django.urls import include, path

from .views import (
    clinic,
    handout,
    invitations,
    me,
    outcomes,
    pain,
    progressions,
    pwa,
    reminders,
    rights,
    session,
    settings_me,
)

app_name = "patients"

clinic_patterns = [
    path("", clinic.clinic, name="clinic"),
    path("patients/new/", clinic.patient_create, name="patient_create"),
    path("patients/<int:pk>/", clinic.patient_detail, name="patient_detail"),
    path("patients/<int:pk>/edit/", clinic.patient_edit, name="patient_edit"),
    path("patients/<int:pk>/assign/", clinic.assign, name="assign"),
    path("patients/<int:pk>/starter/", clinic.patient_starter, name="patient_starter"),
    path("programs/<int:pk>/assign/", clinic.program_assign, name="program_assign"),
    path("patients/<int:pk>/invite/", invitations.invite, name="patient_invite"),
    path(
        "patients/<int:pk>/test-reminder/",
        clinic.patient_test_reminder,
        name="patient_test_reminder",
    ),
    path(
        "patients/<int:pk>/resume-exercises/",
        clinic.patient_resume_exercises,
        name="patient_resume_exercises",
    ),
    path("patients/<int:pk>/export.csv", clinic.patient_export_csv, name="patient_export_csv"),
    path("patients/<int:pk>/fhir.json", clinic.patient_export_fhir, name="patient_export_fhir"),
    path("patients/<int:pk>/erase/", rights.patient_erase_view, name="patient_erase"),
    path("patients/<int:pk>/unlock/", clinic.patient_unlock, name="patient_unlock"),
    path("alerts/<int:pk>/acknowledge/", clinic.alert_acknowledge, name="alert_acknowledge"),
    path("assignments/<int:pk>/", clinic.assignment_detail, name="assignment_detail"),
    path("assignments/<int:pk>/edit/", clinic.assignment_edit, name="assignment_edit"),
    path(
        "assignments/<int:pk>/outcomes/", outcomes.assignment_outcomes, name="assignment_outcomes"
    ),
    path("assignments/<int:pk>/print/", handout.assignment_print, name="assignment_print"),
    path("assignments/<int:pk>/status/", clinic.assignment_status, name="assignment_status"),
    path(
        "assignment-items/<int:pk>/edit/",
        clinic.assignment_item_edit,
        name="assignment_item_edit",
    ),
    path(
        "assignment-items/<int:pk>/change/",
        progressions.assignment_item_change,
        name="assignment_item_change",
    ),
]

me_patterns = [
    path("", me.today, name="today"),
    path("welcome/", invitations.welcome, name="welcome"),
    path("yesterday/", me.yesterday, name="yesterday"),
    path("exercises/<int:pk>/log/", me.exercise_log, name="exercise_log"),
    path("exercise-logs/<int:pk>/undo/", me.exercise_log_undo, name="exercise_log_undo"),
    path(
        "exercise-logs/<int:pk>/feedback/",
        me.exercise_log_feedback,
        name="exercise_log_feedback",
    ),
    path("session/", session.session_start, name="session"),
    path("session/summary/", session.session_summary, name="session_summary"),
    path("session/<int:pk>/", session.session_step, name="session_step"),
    path("history/", me.history, name="history"),
    path("handout/", handout.my_handout, name="my_handout"),
    path("questionnaires/", outcomes.questionnaires, name="questionnaires"),
    path(
        "questionnaires/<int:assignment_pk>/<slug:slug>/",
        outcomes.questionnaire,
        name="questionnaire",
    ),
    path("pain/", pain.pain, name="pain"),
    path("pain/logged/<int:pk>/", pain.pain_logged, name="pain_logged"),
    path("reminders/", settings_me.reminder_settings, name="reminder_settings"),
    path("data/", rights.my_data, name="my_data"),
    path("data.json", rights.my_data_json, name="my_data_json"),
    path("data.csv", rights.my_data_csv, name="my_data_csv"),
]

urlpatterns = [
    path("manifest.webmanifest", pwa.manifest, name="manifest"),
    path("sw.js", pwa.service_worker, name="service_worker"),
    path("offline/", pwa.offline, name="offline"),
    path("reminders/stop/<str:token>/", reminders.stop, name="reminders_stop"),
    path("invite/<str:token>/", invitations.accept, name="invitation"),
    path("clinic/", include(clinic_patterns)),
    path("me/", include(me_patterns)),
]
