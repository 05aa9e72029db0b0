"""Fixtures shared by the library's tests."""

from datetime import timedelta

import pytest
from django.utils import timezone


@pytest.fixture
def later(time_machine):
    """Move the clock on, as an editor's change in the admin comes after the load."""

    def move() -> None:
        time_machine.move_to(timezone.now() + timedelta(minutes=5))

    return move
