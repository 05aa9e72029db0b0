"""Alerts for clinicians: raising, notifying, acknowledging."""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from users.emails import send_templated_email

from ..models import Alert


def alert_notify_clinician(*, alert_id: int) -> bool:
    """Email the clinician that an urgent alert is waiting. The email carries no health
    details and no patient name: only a link to the patient's page behind sign-in."""
    alert = (
        Alert.objects.select_related("patient__clinician")
        .filter(pk=alert_id, acknowledged_at__isnull=True)
        .first()
    )
    if alert is None:
        return False
    clinician = alert.patient.clinician
    if not clinician.email:
        return False
    link = settings.SITE_URL + reverse("patients:patient_detail", kwargs={"pk": alert.patient_id})
    send_templated_email(
        template="patients/email/urgent_alert",
        context={
            "clinician_first_name": clinician.first_name,
            "raised_at": timezone.localtime(alert.created_at),
            "link": link,
        },
        to=[clinician.email],
    )
    return True
