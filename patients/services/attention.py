"""The dashboard's order, kept on the patient row rather than computed on every request.

The dashboard sorts a clinician's patients by who needs attention first: the highest open
alert severity, then the number of open red flags, then the longest without activity
(a patient who never logged anything counts from the day they were added), then the
order they were added. Computing those for every patient on every request took four index
probes per patient and a sort of them all (~100 ms for 10,000 patients, bench/README.md);
kept on the row they are read through one index (``patients_attention_idx``) whose order
is the dashboard's, so page 1 is an index scan.

Every service that changes one of the figures' sources (an exercise log recorded or
undone, a pain log, a red flag raised, a computed alert raised or resolved, an alert
acknowledged) calls ``attention_refresh`` in its own transaction. The refresh recomputes
the three figures from the logs and alerts (``patients.clinical``) in one UPDATE, rather
than adding and subtracting, so a kept figure cannot drift from the computed one: the
equivalence test (tests/patients/test_attention_kept.py) writes through every service and
compares. ``manage.py attention_refresh`` recomputes every patient (after a bulk import,
a restore, or to check: ``--check`` reports the rows that differ without writing).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from django.db import transaction
from django.db.models import Count, IntegerField, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone

from ..clinical import last_activity_expression, open_alerts
from ..models import Alert, Patient

logger = logging.getLogger(__name__)

# The kept figures and where each comes from.
KEPT = ("attention_severity", "attention_red_flags", "last_activity_on", "active_since")


def attention_expressions() -> dict:
    """The kept figures computed from the logs and alerts, for a Patient queryset: the one
    definition both the refresh and the equivalence test use. The last activity's day is
    the clinic's (``TIME_ZONE``), whoever's request writes it."""
    alerts = open_alerts()
    last_activity = last_activity_expression(zone=timezone.get_default_timezone())
    return {
        "attention_severity": Coalesce(
            Subquery(alerts.order_by("-severity").values("severity")[:1]), Value(0)
        ),
        "attention_red_flags": Coalesce(
            Subquery(
                alerts.filter(kind=Alert.Kind.RED_FLAG)
                .order_by()
                .values("patient_id")
                .annotate(n=Count("id"))
                .values("n"),
                output_field=IntegerField(),
            ),
            Value(0),
        ),
        "last_activity_on": last_activity,
        "active_since": Coalesce(
            last_activity,
            TruncDate("created_at", tzinfo=timezone.get_default_timezone()),
        ),
    }


def attention_refresh(*, patient_ids: Iterable[int]) -> int:
    """Recompute the kept figures of these patients; the number of rows. Call it inside
    the transaction that changed their logs or alerts.

    Two statements: the rows are locked first (in id order), so a transaction that changed
    the same patient's logs or alerts at the same time has committed before the UPDATE
    starts, and the UPDATE, a new statement with a new snapshot under READ COMMITTED, sees
    both changes. (A single UPDATE would wait for the lock but compute its subqueries from
    the snapshot taken before, missing the other transaction's rows.)"""
    ids = sorted(set(patient_ids))
    if not ids:
        return 0
    # The caller's transaction (no savepoint: nothing here to roll back on its own).
    with transaction.atomic(savepoint=False):
        locked = Patient.objects.select_for_update().filter(pk__in=ids).order_by("pk")
        list(locked.values_list("pk"))
        return _refresh(Patient.objects.filter(pk__in=ids))


def attention_refresh_all(*, batch: int = 2000) -> int:
    """Recompute the kept figures of every patient, ``batch`` patients per UPDATE."""
    done = 0
    last = 0
    while True:
        ids = list(
            Patient.objects.filter(pk__gt=last).order_by("pk").values_list("pk", flat=True)[:batch]
        )
        if not ids:
            return done
        done += _refresh(Patient.objects.filter(pk__in=ids))
        last = ids[-1]


def attention_drift() -> list[int]:
    """The ids of patients whose kept figures differ from the computed ones (none, unless
    something wrote logs or alerts behind the services' back)."""
    computed = {
        f"computed_{name}": expression for name, expression in attention_expressions().items()
    }
    drifted = []
    for row in Patient.objects.annotate(**computed).values("pk", *KEPT, *computed).iterator():
        if any(row[name] != row[f"computed_{name}"] for name in KEPT):
            drifted.append(row["pk"])
    if drifted:
        logger.warning("Attention figures drifted for %s patients: %s", len(drifted), drifted[:50])
    return drifted


def _refresh(patients: QuerySet[Patient]) -> int:
    return patients.update(**attention_expressions())
