"""`desist demo-data` ends by saying how to sign in as each practitioner the demo makes."""

from __future__ import annotations

import datetime as dt
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command

from desist.accounts.constants import Role
from desist.accounts.models import User
from desist.demo import DEMO_PASSWORD
from desist.providers.selectors import cleared_practitioners

NOW = dt.datetime(2026, 3, 4, 10, 0, tzinfo=dt.UTC)

pytestmark = pytest.mark.django_db


@pytest.fixture
def closing_lines(time_machine: Any) -> list[str]:
    time_machine.move_to(NOW, tick=False)
    out = StringIO()
    call_command("demo_data", "--participants", "0", "--seed", "1", stdout=out)
    lines = out.getvalue().splitlines()
    return lines[lines.index(f"Practitioner logins, all with the password {DEMO_PASSWORD}") :]


def practitioner_usernames() -> list[str]:
    return sorted(
        User.objects.filter(role_grants__role=Role.PRACTITIONER).values_list("username", flat=True)
    )


def standing_of(lines: list[str], username: str) -> str:
    [line] = [line for line in lines if line.split()[:1] == [username]]
    return line


def test_every_practitioner_login_the_demo_makes_is_listed(closing_lines: list[str]) -> None:
    usernames = practitioner_usernames()
    # The two named sign-ins and the others demo delivery makes for each provider.
    assert {"practitioner", "practitioner.north"} <= set(usernames)
    assert any(name.startswith("practitioner.south.") for name in usernames)
    assert any(name.startswith("practitioner.north.") for name in usernames)
    listed = sorted(line.split()[0] for line in closing_lines if line.startswith("practitioner"))
    assert listed == usernames


def test_each_listed_practitioner_signs_in_with_the_demo_password(
    closing_lines: list[str],
) -> None:
    for user in User.objects.filter(username__in=practitioner_usernames()):
        assert user.check_password(DEMO_PASSWORD), user.username


def test_the_list_says_which_practitioners_see_no_participants(closing_lines: list[str]) -> None:
    cleared = set(cleared_practitioners(on=NOW.date()).values_list("user__username", flat=True))
    for username in practitioner_usernames():
        sees_none = "sees no participants" in standing_of(closing_lines, username)
        assert sees_none == (username not in cleared), username
