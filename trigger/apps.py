from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TriggerConfig(AppConfig):
    name = "trigger"
    verbose_name = _("Trigger-point library")

    def ready(self) -> None:
        from auditlog.registry import auditlog

        from . import models

        auditlog.register(models.BodyRegion, m2m_fields={"areas"})
        for model in (
            models.BodyArea,
            models.Muscle,
            models.SectionText,
            models.SectionItem,
            models.ReferralZone,
            models.Differential,
            models.AssociatedMuscle,
            models.Module,
            models.ModuleItem,
            models.ModuleItemStep,
            models.Source,
            models.Instrument,
            models.InstrumentItem,
            models.AnswerOption,
        ):
            auditlog.register(model)
