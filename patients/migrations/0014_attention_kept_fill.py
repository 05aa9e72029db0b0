"""Fill the dashboard's kept attention figures of existing patients (patients.services.
attention): the highest open alert severity, the open red flags, the last day with a log,
and that day or else the day the patient was added. The definitions are copied here as
they were when the columns were added (a migration must not follow later code)."""

from django.db import migrations
from django.db.models import Count, DateField, Func, IntegerField, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone

BATCH = 2000


def fill(apps, schema_editor):
    Patient = apps.get_model("patients", "Patient")
    Alert = apps.get_model("patients", "Alert")
    ExerciseLog = apps.get_model("patients", "ExerciseLog")
    PainLog = apps.get_model("patients", "PainLog")
    zone = timezone.get_default_timezone()
    alerts = Alert.objects.filter(patient_id=OuterRef("pk"), acknowledged_at__isnull=True)
    last_exercise = Subquery(
        ExerciseLog.objects.filter(patient_id=OuterRef("pk"))
        .order_by("-performed_on")
        .values("performed_on")[:1]
    )
    last_pain = Subquery(
        PainLog.objects.filter(patient_id=OuterRef("pk"))
        .order_by("-recorded_for")
        .annotate(day=TruncDate("recorded_for", tzinfo=zone))
        .values("day")[:1]
    )
    if schema_editor.connection.vendor == "postgresql":
        last_activity = Func(last_exercise, last_pain, function="GREATEST", output_field=DateField())
    else:
        last_activity = Func(
            Coalesce(last_exercise, last_pain),
            Coalesce(last_pain, last_exercise),
            function="MAX",
            output_field=DateField(),
        )
    figures = {
        "attention_severity": Coalesce(
            Subquery(alerts.order_by("-severity").values("severity")[:1]), Value(0)
        ),
        "attention_red_flags": Coalesce(
            Subquery(
                alerts.filter(kind="red_flag")
                .order_by()
                .values("patient_id")
                .annotate(n=Count("id"))
                .values("n"),
                output_field=IntegerField(),
            ),
            Value(0),
        ),
        "last_activity_on": last_activity,
        "active_since": Coalesce(last_activity, TruncDate("created_at", tzinfo=zone)),
    }
    last = 0
    while True:
        ids = list(
            Patient.objects.filter(pk__gt=last).order_by("pk").values_list("pk", flat=True)[:BATCH]
        )
        if not ids:
            return
        Patient.objects.filter(pk__in=ids).update(**figures)
        last = ids[-1]


class Migration(migrations.Migration):
    dependencies = [("patients", "0013_attention_kept")]

    operations = [migrations.RunPython(fill, migrations.RunPython.noop)]
