"""Pure rules for practitioners: the onboarding status machine and clearance to work.

No database access here, so each rule is tested branch by branch with plain values.

A practitioner moves like this::

    applied    -> vetting (vetting starts) | withdrawn
    vetting    -> approved | withdrawn
    approved   -> suspended | withdrawn | expired
    suspended  -> approved (reinstated) | withdrawn
    expired    -> vetting (renewal)

`withdrawn` is final: someone who comes back applies again as a new practitioner.

Cleared to work with participants means: approved, vetting recorded and in date, and every
required training course completed and in date. Allocation also asks that vetting and
training stay valid until the intervention's expected end (`until`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from django.core.exceptions import ValidationError

from desist.providers.constants import PractitionerStatus

S = PractitionerStatus

ALLOWED_TRANSITIONS: dict[str, frozenset[str]] = {
    S.APPLIED: frozenset({S.VETTING, S.WITHDRAWN}),
    S.VETTING: frozenset({S.APPROVED, S.WITHDRAWN}),
    S.APPROVED: frozenset({S.SUSPENDED, S.WITHDRAWN, S.EXPIRED}),
    S.SUSPENDED: frozenset({S.APPROVED, S.WITHDRAWN}),
    S.EXPIRED: frozenset({S.VETTING}),
    S.WITHDRAWN: frozenset(),
}

# Moving to one of these ends the practitioner's access to participants.
ACCESS_ENDING_STATUSES: frozenset[str] = frozenset({S.SUSPENDED, S.WITHDRAWN, S.EXPIRED})


def allowed_transitions(from_status: str) -> frozenset[str]:
    return ALLOWED_TRANSITIONS.get(from_status, frozenset())


def check_transition(from_status: str, to_status: str) -> None:
    """Raise ValidationError({"status": ...}) unless the practitioner may move this way."""
    if to_status in allowed_transitions(from_status):
        return
    if from_status == S.WITHDRAWN:
        message = (
            "This practitioner has withdrawn, so their status cannot change. "
            "Add them again as a new practitioner instead."
        )
    elif from_status == to_status:
        message = f"This practitioner's status is already {_label(to_status)}."
    else:
        message = (
            f"A practitioner with the status {_label(from_status)} "
            f"cannot move to {_label(to_status)}."
        )
    raise ValidationError({"status": message})


def _label(status: str) -> str:
    try:
        return f'"{S(status).label}"'
    except ValueError:
        return f'"{status}"'


def format_date(value: dt.date) -> str:
    """GOV.UK style: 3 March 2027."""
    return f"{value.day} {value:%B} {value.year}"


def clearance_problems(
    *,
    status: str,
    vetting_expires_on: dt.date | None,
    training: Mapping[str, dt.date | None],
    required_courses: Mapping[str, str],
    on: dt.date,
    until: dt.date | None = None,
) -> list[str]:
    """Why a practitioner may not work with participants on `on` (and until `until`, when
    given); an empty list means cleared.

    `training` maps a course code to the expiry of the practitioner's best completion of it
    (None: never expires); a course they never completed is missing. `required_courses` maps
    each required course's code to its name, for the messages.
    """
    problems: list[str] = []
    if status != S.APPROVED:
        problems.append(f"Their status is {_label(status)}, not approved.")
    problems.extend(_vetting_problems(vetting_expires_on, on=on, until=until))
    for code, name in required_courses.items():
        problems.extend(_training_problems(code, name, training, on=on, until=until))
    return problems


def _vetting_problems(
    expires_on: dt.date | None, *, on: dt.date, until: dt.date | None
) -> list[str]:
    if expires_on is None:
        return ["No vetting has been recorded."]
    if expires_on < on:
        return [f"Vetting expired on {format_date(expires_on)}."]
    if until is not None and expires_on < until:
        return [f"Vetting expires on {format_date(expires_on)}, before the expected end date."]
    return []


def _training_problems(
    code: str,
    name: str,
    training: Mapping[str, dt.date | None],
    *,
    on: dt.date,
    until: dt.date | None,
) -> list[str]:
    if code not in training:
        return [f"{name} has not been completed."]
    expires_on = training[code]
    if expires_on is None:
        return []
    if expires_on < on:
        return [f"{name} expired on {format_date(expires_on)}."]
    if until is not None and expires_on < until:
        return [f"{name} expires on {format_date(expires_on)}, before the expected end date."]
    return []


def add_months(start: dt.date, months: int) -> dt.date:
    """The same day `months` later, or the month's last day when it is shorter
    (31 January + 1 month is 28 or 29 February)."""
    month_index = start.month - 1 + months
    year = start.year + month_index // 12
    month = month_index % 12 + 1
    return dt.date(year, month, min(start.day, _days_in_month(year, month)))


def _days_in_month(year: int, month: int) -> int:
    first_of_next = dt.date(year + month // 12, month % 12 + 1, 1)
    return (first_of_next - dt.timedelta(days=1)).day


def training_expires_on(completed_on: dt.date, valid_for_months: int | None) -> dt.date | None:
    if valid_for_months is None:
        return None
    return add_months(completed_on, valid_for_months)


def reminder_leads_due(*, expires_on: dt.date, today: dt.date, leads: list[int]) -> list[int]:
    """The reminder lead times (days before expiry) that have been reached and not passed the
    expiry itself; nothing once it has expired."""
    days_left = (expires_on - today).days
    if days_left < 0:
        return []
    return sorted(lead for lead in set(leads) if days_left <= lead)
