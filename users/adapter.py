"""How django-allauth behaves here (settings: ACCOUNT_ADAPTER)."""

from allauth.account.adapter import DefaultAccountAdapter
from django.http import HttpRequest


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request: HttpRequest) -> bool:
        # No public signup: administrators create clinicians and editors, and patients
        # arrive by their clinician's invitation (patients.services.invitations).
        return False
