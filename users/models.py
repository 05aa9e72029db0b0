"""People who use the app, their roles, and the practice clinicians work in."""

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _


class Practice(models.Model):
    """A clinic. Clinicians of one practice can share program templates."""

    name = models.CharField(_("name"), max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("practice")
        verbose_name_plural = _("practices")

    def __str__(self) -> str:
        return self.name


class User(AbstractUser):
    """Every person who signs in. The role decides their home page and what they may do.

    Roles are a field rather than groups: each user has exactly one, views branch on it,
    and the database states which roles may reach the admin site (see the constraint).
    """

    class Role(models.TextChoices):
        PATIENT = "patient", _("Patient")
        CLINICIAN = "clinician", _("Clinician")
        EDITOR = "editor", _("Content editor")
        ADMIN = "admin", _("Administrator")

    # Apps whose models a content editor may change in the admin, and nothing else.
    EDITOR_APPS = frozenset({"trigger"})

    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.PATIENT)
    practice = models.ForeignKey(
        Practice,
        verbose_name=_("practice"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="members",
    )

    class Meta:
        ordering = ["username"]
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(is_staff=False) | models.Q(role__in=["editor", "admin"]),
                name="users_user_only_editors_and_admins_are_staff",
            ),
        ]

    def __str__(self) -> str:
        return self.get_full_name() or self.username

    @property
    def is_clinician(self) -> bool:
        return self.role == self.Role.CLINICIAN

    @property
    def is_patient(self) -> bool:
        return self.role == self.Role.PATIENT

    @property
    def is_editor(self) -> bool:
        return self.role == self.Role.EDITOR

    def has_perm(self, perm: str, obj: object = None) -> bool:
        if self.is_active and self.is_editor and perm.split(".", 1)[0] in self.EDITOR_APPS:
            return True
        return super().has_perm(perm, obj)

    def has_module_perms(self, app_label: str) -> bool:
        if self.is_active and self.is_editor and app_label in self.EDITOR_APPS:
            return True
        return super().has_module_perms(app_label)
