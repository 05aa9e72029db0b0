"""People and practices in the admin: for administrators only.

Content editors are staff but hold no permission on this app (``User.has_perm`` grants
them the library and nothing else), so these pages answer them 403 and the admin index
does not list them.

The audit trail (auditlog's log entries and our sign-in log) is shown to administrators
only, read-only for everyone, superusers included: no add, change or delete.
"""

from auditlog.admin import LogEntryAdmin as AuditlogLogEntryAdmin
from auditlog.models import LogEntry
from django.contrib import admin
from django.contrib.auth import forms as auth_forms
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _

from .audit import AuthEvent
from .models import Practice, User

STAFF_ROLES = frozenset({User.Role.EDITOR, User.Role.ADMIN})


class UserChangeForm(auth_forms.UserChangeForm):
    class Meta(auth_forms.UserChangeForm.Meta):
        model = User

    def clean(self) -> dict:
        # The database refuses this too (users_user_only_editors_and_admins_are_staff);
        # saying so on the field is clearer than a constraint's name.
        cleaned_data = super().clean()
        if cleaned_data.get("is_staff") and cleaned_data.get("role") not in STAFF_ROLES:
            self.add_error(
                "is_staff",
                _("Only content editors and administrators may reach the admin site."),
            )
        return cleaned_data


class UserCreationForm(auth_forms.AdminUserCreationForm):
    class Meta(auth_forms.AdminUserCreationForm.Meta):
        model = User


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    form = UserChangeForm
    add_form = UserCreationForm
    fieldsets = (
        *DjangoUserAdmin.fieldsets,
        (_("Role and practice"), {"fields": ("role", "practice")}),
    )
    add_fieldsets = (
        *DjangoUserAdmin.add_fieldsets,
        (_("Role and practice"), {"fields": ("role", "practice")}),
    )
    list_display = (*DjangoUserAdmin.list_display, "role", "practice")
    list_filter = ("role", *DjangoUserAdmin.list_filter, "practice")
    list_select_related = ("practice",)
    autocomplete_fields = ("practice",)


@admin.register(Practice)
class PracticeAdmin(admin.ModelAdmin):
    list_display = ("name", "time_zone", "created_at")
    fields = ("name", "time_zone")
    search_fields = ("name",)
    ordering = ("name",)


# --- The audit trail: read-only, administrators only --------------------------------------


def is_administrator(user) -> bool:
    return bool(
        user.is_active and user.is_staff and (user.is_superuser or user.role == User.Role.ADMIN)
    )


class ReadOnlyAuditAdmin(admin.ModelAdmin):
    """Administrators may look; nobody may add, change or delete, not even a superuser."""

    def has_module_permission(self, request) -> bool:
        return is_administrator(request.user)

    def has_view_permission(self, request, obj=None) -> bool:
        return is_administrator(request.user)

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def get_actions(self, request):
        return {}


@admin.register(AuthEvent)
class AuthEventAdmin(ReadOnlyAuditAdmin):
    list_display = ("created_at", "kind", "user", "attempted_login", "remote_addr", "via")
    list_filter = ("kind", "via")
    search_fields = ("user__username", "attempted_login", "remote_addr")
    list_select_related = ("user",)
    date_hierarchy = "created_at"
    fields = ("created_at", "kind", "user", "attempted_login", "remote_addr", "via", "user_agent")
    readonly_fields = fields


if admin.site.is_registered(LogEntry):
    admin.site.unregister(LogEntry)


@admin.register(LogEntry)
class LogEntryAdmin(ReadOnlyAuditAdmin, AuditlogLogEntryAdmin):
    """auditlog's own page, with the client address and the access details shown, and no
    delete even by cascade."""

    list_display = [*AuditlogLogEntryAdmin.list_display, "remote_addr"]
    search_fields = [*AuditlogLogEntryAdmin.search_fields, "remote_addr"]
    readonly_fields = [
        *AuditlogLogEntryAdmin.readonly_fields,
        "cid",
        "remote_addr",
        "additional_data",
    ]
    fieldsets = [
        (None, {"fields": ["created", "user_url", "resource_url", "cid", "remote_addr"]}),
        (_("Changes"), {"fields": ["action", "msg", "additional_data"]}),
    ]
