"""Sign-in: mandatory TOTP, lock-out, idle timeout, password policy, production settings."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from allauth.mfa.totp.internal.auth import (
    TOTP,
    format_hotp_value,
    generate_totp_secret,
    hotp_value,
    yield_hotp_counters_from_time,
)
from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.test import Client

from conftest import PASSWORD, World, make_user
from desist.accounts.constants import Role

PROJECT = Path(__file__).resolve().parents[3]


def _current_code(secret: str) -> str:
    counter = next(iter(yield_hotp_counters_from_time()))
    return format_hotp_value(hotp_value(secret, counter))


def test_user_without_totp_is_sent_to_set_it_up(world: World) -> None:
    user = make_user("newbie", world.probation_london, Role.SUPERVISING_OFFICER, totp=False)
    client = Client()
    client.force_login(user)
    response = client.get("/participants/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/2fa/totp/activate/"


def test_api_refuses_a_session_without_totp(world: World) -> None:
    user = make_user("newbie", world.probation_london, Role.SUPERVISING_OFFICER, totp=False)
    client = Client()
    client.force_login(user)
    response = client.get("/api/v1/participants/")
    assert response.status_code in (401, 403)
    assert "multi-factor" in response.json()["detail"]


def test_sign_in_asks_for_the_totp_code_and_accepts_a_valid_one(world: World) -> None:
    user = make_user("totpuser", world.probation_london, Role.SUPERVISING_OFFICER, totp=False)
    secret = generate_totp_secret()
    TOTP.activate(user, secret)
    client = Client()
    response = client.post("/accounts/login/", {"login": "totpuser", "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == "/accounts/2fa/authenticate/"
    # Not signed in yet: pages still send us to sign in.
    assert client.get("/participants/")["Location"].startswith("/accounts/login/")
    wrong = client.post("/accounts/2fa/authenticate/", {"code": "000000"})
    assert wrong.status_code == 200 and "Incorrect code" in wrong.content.decode()
    response = client.post("/accounts/2fa/authenticate/", {"code": _current_code(secret)})
    assert response.status_code == 302
    assert client.get("/participants/").status_code == 200


def test_account_is_locked_after_repeated_failures(world: World) -> None:
    make_user("target", world.probation_london, Role.SUPERVISING_OFFICER, totp=False)
    client = Client()
    for _ in range(5):
        bad = client.post("/accounts/login/", {"login": "target", "password": "wrong-password"})
        assert bad.status_code == 200
    locked = client.post("/accounts/login/", {"login": "target", "password": PASSWORD})
    assert locked.status_code == 200
    assert "Too many failed login attempts" in locked.content.decode()
    assert "_auth_user_id" not in client.session


def test_nobody_can_sign_themselves_up(db: None) -> None:
    response = Client().get("/accounts/signup/")
    assert "Sign Up Closed" in response.content.decode()


def test_sessions_expire_after_a_short_idle_time(world: World) -> None:
    client = world.client_for("supervising_officer")
    client.get("/participants/")
    assert settings.SESSION_SAVE_EVERY_REQUEST is True
    assert client.session.get_expiry_age() == settings.SESSION_COOKIE_AGE == 15 * 60


def test_password_policy_refuses_short_and_common_passwords() -> None:
    for weak in ("short1!", "password1234", "123456789012"):
        with pytest.raises(ValidationError):
            validate_password(weak)
    validate_password("a-Long-unusual-passphrase-42")


def test_service_account_cannot_use_web_pages(world: World) -> None:
    robot = make_user("robot", world.probation_london, Role.SUPERVISING_OFFICER)
    robot.is_service_account = True
    robot.save(update_fields=["is_service_account"])
    client = Client()
    client.force_login(robot)
    response = client.get("/participants/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_demo_mode_shows_that_mfa_is_off(world: World, settings: object) -> None:
    settings.DESIST_MFA_REQUIRED = False  # type: ignore[attr-defined]
    user = make_user("demo", world.probation_london, Role.SUPERVISING_OFFICER, totp=False)
    client = Client()
    client.force_login(user)
    response = client.get("/participants/")
    assert response.status_code == 200
    assert "multi-factor authentication is NOT enforced" in response.content.decode()


def test_mfa_banner_is_absent_when_enforced(world: World) -> None:
    response = world.client_for("supervising_officer").get("/participants/")
    assert "NOT enforced" not in response.content.decode()


def _desist(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DESIST_", "SECRET"))}
    return subprocess.run(
        [sys.executable, "-m", "desist.cli", *args],
        cwd=PROJECT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        check=False,
    )


PRODUCTION_ENV = {
    "DESIST_ENV": "production",
    "SECRET_KEY": "k" * 20 + "9Zq!xY7#wV5$uT3%sR1^pO8&nM6*lK4(jI2)hG0-fE" + "z" * 10,
    "ALLOWED_HOSTS": "desist.example.org",
}


@pytest.mark.slow
def test_production_settings_pass_the_deploy_check() -> None:
    result = _desist("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION_ENV)
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


@pytest.mark.slow
def test_production_refuses_to_start_without_a_secret_key_or_with_mfa_off() -> None:
    no_key = {k: v for k, v in PRODUCTION_ENV.items() if k != "SECRET_KEY"}
    result = _desist("check", **no_key)
    assert result.returncode != 0 and "SECRET_KEY must be set" in result.stderr
    result = _desist("check", **PRODUCTION_ENV, DESIST_MFA_REQUIRED="false")
    assert result.returncode != 0 and "cannot be turned off in production" in result.stderr


@pytest.mark.slow
def test_bad_setting_value_names_the_variable() -> None:
    result = _desist("check", DESIST_IDLE_TIMEOUT_SECONDS="soon")
    assert result.returncode != 0
    assert "DESIST_IDLE_TIMEOUT_SECONDS must be a whole number" in result.stderr


def test_vendored_govuk_styles_are_served(db: None) -> None:
    client = Client()
    for path in ("/static/govuk/govuk-frontend.min.css", "/static/desist/app.css"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert b"".join(response.streaming_content).strip()  # type: ignore[attr-defined]
