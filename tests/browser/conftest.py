"""A real browser (Debian's chromium, headless) driven by Playwright against a live server.

`make test` installs chromium (Makefile: system-packages). Playwright's own browser downloads
are never used: we launch the system chromium by path.
"""

from __future__ import annotations

import importlib
import os
import shutil
import time
from collections.abc import Iterator
from typing import Any

import pytest
from allauth.mfa import app_settings
from allauth.mfa.totp.internal.auth import (
    TOTP,
    format_hotp_value,
    generate_totp_secret,
    hotp_value,
    yield_hotp_counters_from_time,
)
from django.db import connection

from desist.accounts.models import User

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


# The audit table refuses DELETE and TRUNCATE (database triggers), which the flush that ends a
# live-server (transactional) test runs. Lift the triggers only for that flush and put them
# back once it is done, using the migration's own statements.
_TRIGGERS = importlib.import_module("desist.audit.migrations.0002_append_only_triggers")
_TRIGGERS_UP = {"sqlite": _TRIGGERS.SQLITE_UP, "postgresql": _TRIGGERS.POSTGRES_UP}
_TRIGGERS_DOWN = {"sqlite": _TRIGGERS.SQLITE_DOWN, "postgresql": _TRIGGERS.POSTGRES_DOWN}


def _run(statements: dict[str, list[str]]) -> None:
    with connection.cursor() as cursor:
        for statement in statements.get(connection.vendor, []):
            cursor.execute(statement)


@pytest.fixture(scope="module")
def _audit_triggers_restored(django_db_setup: Any, django_db_blocker: Any) -> Iterator[None]:
    yield  # torn down after the test's flush
    with django_db_blocker.unblock():
        _run(_TRIGGERS_DOWN)  # idempotent: IF EXISTS
        _run(_TRIGGERS_UP)


@pytest.fixture
def audit_flushable(_audit_triggers_restored: None, transactional_db: None) -> Iterator[None]:
    yield  # torn down before the test's flush
    _run(_TRIGGERS_DOWN)


@pytest.fixture
def page(live_server: Any, monkeypatch: pytest.MonkeyPatch, audit_flushable: None) -> Iterator[Any]:
    """A fresh headless chromium tab on the live server. Started after the test database is
    set up and stopped before it is torn down: Playwright's sync API keeps an event loop on
    this thread while it runs, so Django's async-safety guard is lifted only meanwhile."""
    if not os.path.exists(CHROMIUM):
        pytest.fail("chromium is not installed: run `make test`, which installs it.")
    from playwright.sync_api import sync_playwright

    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"]
        )
        context = browser.new_context(base_url=live_server.url, locale="en-GB")
        context.set_default_timeout(10_000)
        yield context.new_page()
        context.close()
        browser.close()


def with_totp(user: User) -> str:
    """Give the user a real TOTP authenticator; returns its secret."""
    secret = generate_totp_secret()
    TOTP.activate(user, secret)
    return secret


# A code is only good in its own 30-second window (no tolerance): one read near the end of a
# window can be submitted after the next has begun and be refused, so wait for the next one.
CODE_MARGIN_SECONDS = 3.0


def current_code(secret: str) -> str:
    period = app_settings.TOTP_PERIOD
    left = period - time.time() % period
    if left < CODE_MARGIN_SECONDS:
        time.sleep(left + 0.1)
    counter = next(iter(yield_hotp_counters_from_time()))
    return format_hotp_value(hotp_value(secret, counter))


def sign_in(page: Any, username: str, password: str, secret: str) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_label("Code").fill(current_code(secret))
    page.get_by_role("button", name="Sign in").click()
