"""One address, one account: email addresses lower-cased and unique across all users.

Existing addresses are lower-cased first. If two accounts share an address in any case,
the migration stops and lists them: which account keeps the address is a decision for the
clinic (the patient's clinician knows who is who), never a guess made here.
"""

from django.db import migrations, models
from django.db.models.functions import Lower


class AddressConflict(Exception):
    """Two or more accounts have the same email address."""


def conflicting_addresses(User) -> dict[str, list[int]]:
    """Each address (lower-cased) held by more than one account, with their ids."""
    holders: dict[str, list[int]] = {}
    for pk, email in User.objects.exclude(email="").order_by("pk").values_list("pk", "email"):
        holders.setdefault(email.strip().lower(), []).append(pk)
    return {email: ids for email, ids in holders.items() if len(ids) > 1}


def lower_case_addresses(apps, schema_editor) -> None:
    User = apps.get_model("users", "User")
    conflicts = conflicting_addresses(User)
    if conflicts:
        listing = "; ".join(f"user ids {ids}" for ids in sorted(conflicts.values()))
        raise AddressConflict(
            f"{len(conflicts)} email address(es) belong to more than one account ({listing}). "
            "Give each of these accounts its own address (or none) in the admin, then run "
            "the migration again."
        )
    for user in User.objects.exclude(email=""):
        normalized = user.email.strip().lower()
        if normalized != user.email:
            User.objects.filter(pk=user.pk).update(email=normalized)


class Migration(migrations.Migration):
    dependencies = [
        ("users", "0003_authevent"),
    ]

    operations = [
        migrations.RunPython(lower_case_addresses, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="user",
            constraint=models.UniqueConstraint(
                Lower("email"),
                condition=models.Q(("email", ""), _negated=True),
                name="users_user_email_unique_lower",
            ),
        ),
    ]
