"""How long records are kept, and the pruning that removes what is past it (``manage.py
prune``, and the daily beat entry ``prune-records``).

What is pruned, each after its own period (README.md, "Environment"; 0 keeps for ever):

- reminder deliveries (sent, skipped or failed; never one still pending or being sent),
  ``PRUNE_DELIVERIES_AFTER_DAYS``, 400 days by default: a year of reminder history for
  the clinician, and more than any question about a reminder ever needs;
- expired sessions (as Django's ``clearsessions``): nothing to keep;
- sign-in events (users.audit.AuthEvent), ``PRUNE_SIGN_IN_EVENTS_AFTER_DAYS``, 2 years;
- the audit trail (django-auditlog's entries: changes, reads and exports of records),
  ``PRUNE_AUDIT_AFTER_DAYS``, 8 years, the span health records are commonly kept for;
  a clinic under a longer rule sets a longer period.

Alerts, pain and exercise logs are the clinical record: they are never pruned here (they
go with the patient's erasure).
"""

from __future__ import annotations

import datetime
import logging
from dataclasses import dataclass

from auditlog.models import LogEntry
from django.conf import settings
from django.contrib.sessions.models import Session
from django.db import models, transaction
from django.utils import timezone

from users.audit import AuthEvent

from ..models import Delivery

logger = logging.getLogger(__name__)

BATCH = 5000


@dataclass(frozen=True)
class PruneResult:
    deliveries: int
    sessions: int
    sign_in_events: int
    audit_entries: int


def _cutoff(now: datetime.datetime, days: int) -> datetime.datetime | None:
    return None if days <= 0 else now - datetime.timedelta(days=days)


def _delete_in_batches(queryset: models.QuerySet, *, dry_run: bool) -> int:
    """Delete in batches of primary keys, each its own transaction, so a table of
    millions never holds one long lock."""
    if dry_run:
        return queryset.count()
    deleted = 0
    while True:
        ids = list(queryset.values_list("pk", flat=True)[:BATCH])
        if not ids:
            return deleted
        with transaction.atomic():
            # A plain QuerySet: the sign-in log's manager refuses deletes from anywhere
            # else; retention is the one place that removes its rows.
            count, _ = models.QuerySet(model=queryset.model).filter(pk__in=ids).delete()
        deleted += count


def records_prune(
    *,
    now: datetime.datetime | None = None,
    deliveries_days: int | None = None,
    sign_in_days: int | None = None,
    audit_days: int | None = None,
    dry_run: bool = False,
) -> PruneResult:
    """Delete what is past its retention period (the settings' periods unless given).
    With ``dry_run``, count what would go and delete nothing."""
    now = now or timezone.now()
    periods = {
        "deliveries": settings.PRUNE_DELIVERIES_AFTER_DAYS
        if deliveries_days is None
        else deliveries_days,
        "sign_in_events": settings.PRUNE_SIGN_IN_EVENTS_AFTER_DAYS
        if sign_in_days is None
        else sign_in_days,
        "audit_entries": settings.PRUNE_AUDIT_AFTER_DAYS if audit_days is None else audit_days,
    }
    counts = dict.fromkeys(periods, 0)
    if cutoff := _cutoff(now, periods["deliveries"]):
        counts["deliveries"] = _delete_in_batches(
            Delivery.objects.filter(created_at__lt=cutoff).exclude(
                status__in=[Delivery.Status.PENDING, Delivery.Status.SENDING]
            ),
            dry_run=dry_run,
        )
    if cutoff := _cutoff(now, periods["sign_in_events"]):
        counts["sign_in_events"] = _delete_in_batches(
            models.QuerySet(model=AuthEvent).filter(created_at__lt=cutoff), dry_run=dry_run
        )
    if cutoff := _cutoff(now, periods["audit_entries"]):
        counts["audit_entries"] = _delete_in_batches(
            LogEntry.objects.filter(timestamp__lt=cutoff), dry_run=dry_run
        )
    sessions = _delete_in_batches(Session.objects.filter(expire_date__lt=now), dry_run=dry_run)
    result = PruneResult(sessions=sessions, **counts)
    logger.info(
        "prune%s: %s deliveries (older than %s days), %s expired sessions, %s sign-in events "
        "(older than %s days), %s audit entries (older than %s days)",
        " (dry run, nothing deleted)" if dry_run else "",
        result.deliveries,
        periods["deliveries"] or "never",
        result.sessions,
        result.sign_in_events,
        periods["sign_in_events"] or "never",
        result.audit_entries,
        periods["audit_entries"] or "never",
    )
    return result
