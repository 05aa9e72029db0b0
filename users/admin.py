"""People and practices in the admin: for administrators only.

Content editors are staff but hold no permission on this app (``User.has_perm`` grants
them the library and nothing else), so these pages answer them 403 and the admin index
does not list them.

The audit trail (auditlog's log entries and our sign-in log) is shown to administrators
only, read-only for everyone, superusers included: no add, change or delete.

Deleting an account the other apps refuse to lose that way (a patient's: erasure is the
only way a patient leaves) is refused on the delete page and by "delete selected", with
the link the refusing app gives (users.deletion).
"""

import logging

from allauth.mfa.models import Authenticator
from auditlog.admin import LogEntryAdmin as AuditlogLogEntryAdmin
from auditlog.models import LogEntry
from django import forms
from django.contrib import admin, messages
from django.contrib.auth import forms as auth_forms
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from .addresses import address_in_use
from .audit import AuthEvent
from .deletion import deletion_refusals
from .lockout import account_unlock
from .models import Practice, User, normalize_address

logger = logging.getLogger(__name__)

STAFF_ROLES = frozenset({User.Role.EDITOR, User.Role.ADMIN})


class UserChangeForm(auth_forms.UserChangeForm):
    class Meta(auth_forms.UserChangeForm.Meta):
        model = User

    def clean_email(self) -> str:
        # One address, one account (the database refuses a duplicate too: a clear error
        # here instead of a 500).
        email = normalize_address(self.cleaned_data.get("email"))
        if address_in_use(email, exclude_user=self.instance):
            raise forms.ValidationError(
                _("Another account already has this email address."), code="address_in_use"
            )
        return email

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
        (_("Sign-in lock"), {"fields": ("sign_in_locked_at",)}),
    )
    readonly_fields = ("sign_in_locked_at",)
    actions = ["unlock_sign_in"]
    add_fieldsets = (
        *DjangoUserAdmin.add_fieldsets,
        (_("Role and practice"), {"fields": ("role", "practice")}),
    )
    list_display = (*DjangoUserAdmin.list_display, "role", "practice")
    list_filter = ("role", *DjangoUserAdmin.list_filter, "practice")
    list_select_related = ("practice",)
    autocomplete_fields = ("practice",)

    def get_deleted_objects(self, objs, request):
        """Django's list of what a deletion takes with it, plus the refusals of the other
        apps as "protected" lines: any protected line refuses the whole deletion, on the
        delete page and in "delete selected" alike."""
        to_delete, model_count, perms_needed, protected = super().get_deleted_objects(objs, request)
        refusals = deletion_refusals(objs)
        if refusals:
            protected = [*refusals, *protected]
            if request.method == "POST":
                logger.warning(
                    "admin delete of users %s by user %s refused: %d refusal(s)",
                    [user.pk for user in objs],
                    request.user.pk,
                    len(refusals),
                )
        return to_delete, model_count, perms_needed, protected

    @admin.action(description=_("Unlock sign-in of the selected accounts"))
    def unlock_sign_in(self, request, queryset) -> None:
        unlocked = 0
        for user in queryset.filter(sign_in_locked_at__isnull=False):
            account_unlock(user=user, by=request.user, how="admin")
            unlocked += 1
        self.message_user(
            request,
            _("%(count)d account(s) can sign in again.") % {"count": unlocked},
            messages.SUCCESS,
        )


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
    list_display = (
        "created_at",
        "kind",
        "user",
        "username",
        "attempted_login",
        "remote_addr",
        "via",
    )
    list_filter = ("kind", "via")
    search_fields = ("username", "attempted_login", "remote_addr")
    list_select_related = ("user",)
    date_hierarchy = "created_at"
    fields = (
        "created_at",
        "kind",
        "user",
        "username",
        "attempted_login",
        "remote_addr",
        "via",
        "user_agent",
    )
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

    @admin.display(description=_("User"))
    def user_url(self, obj):
        """The actor's account, or, once it is deleted, the name kept on the entry."""
        if obj.actor_id is not None:
            return super().user_url(obj)
        data = obj.additional_data if isinstance(obj.additional_data, dict) else {}
        name = data.get("actor_username") or obj.actor_email
        if name:
            return format_html("{} ({})", name, _("deleted"))
        return _("system")


# --- Two-factor devices: never their secrets ----------------------------------------------

if admin.site.is_registered(Authenticator):
    admin.site.unregister(Authenticator)


@admin.register(Authenticator)
class AuthenticatorAdmin(admin.ModelAdmin):
    """allauth.mfa's own admin showed ``data``: the TOTP secret (anyone who reads it can
    make the codes) and the recovery codes' seed. Here administrators see who has which
    kind of device and when it was used, and may delete one (a lost phone); nobody sees or
    changes its data."""

    list_display = ("user", "type", "created_at", "last_used_at")
    list_filter = ("type",)
    search_fields = ("user__username",)
    list_select_related = ("user",)
    fields = ("user", "type", "created_at", "last_used_at")
    readonly_fields = fields

    def has_module_permission(self, request) -> bool:
        return is_administrator(request.user)

    def has_view_permission(self, request, obj=None) -> bool:
        return is_administrator(request.user)

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return is_administrator(request.user)
