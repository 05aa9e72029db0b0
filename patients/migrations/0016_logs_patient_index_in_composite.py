"""Exercise and pain logs lose their single-column index on the patient: the (patient, day)
indexes already serve every lookup by patient, and with both the planner read all of a
patient's logs to count a week (bench/README.md, "Pages at clinic scale").

Only the index is dropped: Django's own AlterField would also drop and re-add the foreign
key, which re-checks every row of the two largest tables under a lock.
"""

import django.db.models.deletion
from django.db import migrations, models

INDEXES = {
    "patients_exerciselog": "patients_exerciselog_patient_id_50b9d1b3",
    "patients_painlog": "patients_painlog_patient_id_a88bd2d5",
}


class Migration(migrations.Migration):
    dependencies = [
        ("patients", "0015_merge_20261202_0745"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="exerciselog",
                    name="patient",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="exercise_logs",
                        to="patients.patient",
                    ),
                ),
                migrations.AlterField(
                    model_name="painlog",
                    name="patient",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="pain_logs",
                        to="patients.patient",
                    ),
                ),
            ],
            database_operations=[
                migrations.RunSQL(
                    sql=f'DROP INDEX IF EXISTS "{index}"',
                    reverse_sql=f'CREATE INDEX "{index}" ON "{table}" ("patient_id")',
                )
                for table, index in INDEXES.items()
            ],
        ),
    ]
