from django.apps import AppConfig


class PatientsConfig(AppConfig):
    name = "patients"

    def ready(self) -> None:
        # Every change of patient data goes to the audit trail (patients/audit.py).
        from . import audit

        audit.register()
