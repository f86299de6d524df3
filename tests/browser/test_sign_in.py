from __future__ import annotations

from typing import Any

import pytest

from conftest import PASSWORD, make_user
from desist.accounts.constants import OrganisationKind, Role
from desist.accounts.models import Organisation
from tests.browser.conftest import sign_in, with_totp

pytestmark = pytest.mark.browser


def test_officer_signs_in_with_password_and_authenticator_code(page: Any, db: Any) -> None:
    probation = Organisation.objects.create(name="Probation", kind=OrganisationKind.PROBATION)
    officer = make_user("browser.officer", probation, Role.SUPERVISING_OFFICER, totp=False)
    secret = with_totp(officer)

    sign_in(page, "browser.officer", PASSWORD, secret)

    page.get_by_role("button", name="Sign out browser.officer").wait_for()
    page.get_by_role("heading", name="Dashboard").wait_for()
    page.get_by_role("link", name="Caseload", exact=True).click()
    page.get_by_role("heading", name="Caseload").wait_for()
