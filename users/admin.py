"""People and practices in the admin: for administrators only.

Content editors are staff but hold no permission on this app (``User.has_perm`` grants
them the library and nothing else), so these pages answer them 403 and the admin index
does not list them.
"""

from django.contrib import admin
from django.contrib.auth import forms as auth_forms
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _

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
    list_display = ("name", "created_at")
    search_fields = ("name",)
    ordering = ("name",)
