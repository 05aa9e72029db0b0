from django.apps import AppConfig


class PatientsConfig(AppConfig):
    name = "patients"

    def ready(self) -> None:
        # Every change of patient data goes to the audit trail (patients/audit.py).
        from users.deletion import register_deletion_blocker

        from . import admin, audit, checks  # noqa: F401 (checks registers itself)

        audit.register()
        # A patient's account is erased, never deleted in the admin (patients/admin.py).
        register_deletion_blocker(admin.refuse_deleting_patients)
