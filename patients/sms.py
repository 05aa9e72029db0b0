"""Text messages behind a small backend interface (SMS_BACKEND setting).

Backends raise ``TransientSmsError`` for failures worth retrying (network, rate limit,
provider 5xx) and ``SmsError`` for the rest (a rejected number).
"""

from __future__ import annotations

import base64
import json
import logging
import sys
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)


class SmsError(Exception):
    """The provider refused the message; retrying will not help."""


class TransientSmsError(SmsError):
    """A failure worth retrying later."""


@dataclass(frozen=True)
class SmsMessage:
    to: str  # E.164
    body: str
    # The same for every attempt of one reminder. Passed to providers that de-duplicate
    # on a key; Twilio's Messages API has none (README.md, "Exactly once").
    idempotency_key: str = ""


class SmsBackend(Protocol):
    def send(self, message: SmsMessage) -> None: ...


class ConsoleSmsBackend:
    """Development: writes the message to standard output."""

    def send(self, message: SmsMessage) -> None:
        sys.stdout.write(f"SMS to {message.to}: {message.body}\n")
        sys.stdout.flush()


# Messages sent through the in-memory backend, for tests (like django.core.mail.outbox).
outbox: list[SmsMessage] = []


class LocmemSmsBackend:
    def send(self, message: SmsMessage) -> None:
        outbox.append(message)


class TwilioSmsBackend:
    """Twilio's Messages REST API over HTTPS, configured by TWILIO_* settings."""

    def __init__(self) -> None:
        self.account_sid = settings.TWILIO_ACCOUNT_SID
        self.auth_token = settings.TWILIO_AUTH_TOKEN
        self.sender = settings.TWILIO_FROM_NUMBER
        self.base_url = settings.TWILIO_API_BASE.rstrip("/")

    def send(self, message: SmsMessage) -> None:
        url = f"{self.base_url}/2010-04-01/Accounts/{self.account_sid}/Messages.json"
        data = urllib.parse.urlencode(
            {"To": message.to, "From": self.sender, "Body": message.body}
        ).encode()
        credentials = base64.b64encode(f"{self.account_sid}:{self.auth_token}".encode()).decode()
        request = urllib.request.Request(
            url, data=data, headers={"Authorization": f"Basic {credentials}"}, method="POST"
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                json.load(response)
        except urllib.error.HTTPError as error:
            if error.code == 429 or error.code >= 500:
                raise TransientSmsError(f"provider answered {error.code}") from error
            raise SmsError(f"provider refused the message ({error.code})") from error
        except (urllib.error.URLError, TimeoutError, OSError) as error:
            raise TransientSmsError(f"provider unreachable: {error}") from error


def get_sms_backend() -> SmsBackend:
    return import_string(settings.SMS_BACKEND)()


def send_sms(*, to: str, body: str, idempotency_key: str = "") -> None:
    get_sms_backend().send(SmsMessage(to=to, body=body, idempotency_key=idempotency_key))
