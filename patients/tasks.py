"""Celery tasks: thin wrappers that take ids and call the reminder and alert services."""

from celery import shared_task

from . import reminders

MAX_RETRIES = 5


@shared_task(ignore_result=True)
def dispatch_due_reminders() -> int:
    return reminders.reminders_dispatch().claimed


@shared_task(ignore_result=True)
def sweep_reminders() -> int:
    return len(reminders.reminders_sweep())


def _retry_countdown(retries: int) -> int:
    # 30 s, 60 s, 120 s ... capped well under the broker's visibility timeout.
    return min(30 * 2**retries, 600)


@shared_task(bind=True, acks_late=True, ignore_result=True, max_retries=MAX_RETRIES)
def send_reminders(self, delivery_ids: list[int]) -> None:
    """Send a batch of deliveries; those given back by a transient channel error are
    retried together, as a smaller batch."""
    transient = reminders.deliveries_send(delivery_ids=delivery_ids).transient
    if not transient:
        return
    if self.request.retries >= MAX_RETRIES:
        for delivery_id, error in transient.items():
            reminders.delivery_fail(delivery_id=delivery_id, reason=error)
        return
    error = reminders.TransientDeliveryError("; ".join(sorted(set(transient.values()))))
    raise self.retry(
        args=(sorted(transient),), exc=error, countdown=_retry_countdown(self.request.retries)
    )


@shared_task(bind=True, acks_late=True, ignore_result=True, max_retries=MAX_RETRIES)
def send_reminder(self, delivery_id: int) -> None:
    """One delivery: what the version before batches queued (still consumed after an
    upgrade)."""
    try:
        reminders.delivery_send(delivery_id=delivery_id)
    except reminders.TransientDeliveryError as error:
        if self.request.retries >= MAX_RETRIES:
            reminders.delivery_fail(delivery_id=delivery_id, reason=str(error))
            return
        raise self.retry(exc=error, countdown=_retry_countdown(self.request.retries)) from error


@shared_task(bind=True, acks_late=True, ignore_result=True, max_retries=MAX_RETRIES)
def notify_clinician_of_alert(self, alert_id: int) -> None:
    from .services.alerts import alert_notify_clinician

    try:
        alert_notify_clinician(alert_id=alert_id)
    except OSError as error:  # the mail server did not answer: try again later
        raise self.retry(exc=error, countdown=min(30 * 2**self.request.retries, 600)) from error


@shared_task(ignore_result=True)
def evaluate_alerts() -> int:
    """Raise and resolve the computed alerts of every patient (beat, every 15 minutes)."""
    from .services.alerts import alerts_evaluate

    result = alerts_evaluate()
    return result.raised + result.resolved


@shared_task(ignore_result=True)
def prune_records() -> int:
    """Delete what is past its retention period (beat, daily; see services/retention.py)."""
    from .services.retention import records_prune

    result = records_prune()
    return result.deliveries + result.sessions + result.sign_in_events + result.audit_entries


@shared_task(bind=True, acks_late=True, ignore_result=True, max_retries=MAX_RETRIES)
def notify_patient_of_resume(self, patient_id: int) -> None:
    """Tell the patient their exercises are resumed after a red-flag hold."""
    from . import sms
    from .services.hold import hold_notify_patient

    try:
        hold_notify_patient(patient_id=patient_id)
    except (OSError, sms.TransientSmsError) as error:
        raise self.retry(exc=error, countdown=min(30 * 2**self.request.retries, 600)) from error
