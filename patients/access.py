"""The one way views fetch patient data: scoped to the requesting user, else 404."""

from django.http import Http404

from users.models import User

from .compiled import instances_for_ids
from .models import Alert, Assignment, AssignmentItem, ExerciseLog, PainLog, Patient


def own_patient_record(user) -> Patient | None:
    """The signed-in patient's own record, or None for an account without one (a patient
    user whose record was never made, or an erased one). The one lookup of "me"."""
    related = Patient.user.field.remote_field  # user.patient_record
    if related.is_cached(user):
        return related.get_cached_value(user)
    records = instances_for_ids(
        "own patient record", [user.pk], lambda ids: Patient.objects.filter(user_id__in=ids)
    )
    patient = records[0] if records else None
    related.set_cached_value(user, patient)
    if patient is not None:
        Patient.user.field.set_cached_value(patient, user)
    return patient


def get_own_patient_record(user) -> Patient:
    """The signed-in patient's own record, or a 404."""
    patient = own_patient_record(user)
    if patient is None:
        raise Http404
    return patient


def get_patient_for_clinician(user, pk: int) -> Patient:
    """The clinician's own patient ``pk``, with their user, or a 404. Every clinic page
    of one patient starts here: its SQL is compiled once (``patients.compiled``)."""

    def own_patient(ids: list[int]):
        clinician_id, patient_id = ids
        return Patient.objects.filter(clinician_id=clinician_id, pk=patient_id).select_related(
            "user"
        )

    found = instances_for_ids("patient for clinician", [user.pk, int(pk)], own_patient)
    if not found:
        raise Http404
    return found[0]


def get_assignment_for_clinician(user, pk: int) -> Assignment:
    try:
        return (
            Assignment.objects.for_clinician(user)
            .select_related("patient__user", "program")
            .get(pk=pk)
        )
    except Assignment.DoesNotExist:
        raise Http404 from None


def get_assignment_item_for_clinician(user, pk: int) -> AssignmentItem:
    try:
        return AssignmentItem.objects.select_related("assignment__patient__user").get(
            pk=pk, assignment__patient__clinician=user
        )
    except AssignmentItem.DoesNotExist:
        raise Http404 from None


def get_patient_for_erasure(user: User, pk: int) -> Patient:
    """A clinician may erase their own patients (anyone else's is a 404); an administrator
    any patient."""
    if user.role != User.Role.ADMIN:
        return get_patient_for_clinician(user, pk)
    try:
        return Patient.objects.select_related("user", "clinician").get(pk=pk)
    except Patient.DoesNotExist:
        raise Http404 from None


def get_alert_for_clinician(user, pk: int) -> Alert:
    """An alert of one of the clinician's own patients, scoped through the patient."""
    try:
        return Alert.objects.select_related("patient__user").get(pk=pk, patient__clinician=user)
    except Alert.DoesNotExist:
        raise Http404 from None


# --- The patient's own data (the signed-in patient's record) ------------------------------


def get_item_for_patient(patient: Patient, pk: int) -> AssignmentItem:
    try:
        return AssignmentItem.objects.select_related("assignment").get(
            pk=pk, assignment__patient=patient
        )
    except AssignmentItem.DoesNotExist:
        raise Http404 from None


def get_exercise_log_for_patient(patient: Patient, pk: int) -> ExerciseLog:
    try:
        return ExerciseLog.objects.select_related("item").get(pk=pk, patient=patient)
    except ExerciseLog.DoesNotExist:
        raise Http404 from None


def get_pain_log_for_patient_user(user, pk: int) -> PainLog:
    """One of the signed-in patient's own pain logs; anyone else's is a 404."""
    try:
        return PainLog.objects.select_related("region", "patient").get(pk=pk, patient__user=user)
    except PainLog.DoesNotExist:
        raise Http404 from None
