"""Ranking practitioners for a referral, and allocating a whole queue at once.

Pure: plain dataclasses in, plain dataclasses out, no database. `desist.referrals.selectors`
builds the facts from the database; the services call in here.

**Hard exclusions.** A practitioner is not eligible (and the reason is shown) when they:

- are not cleared to work (not approved, vetting or required training out of date: the
  providers app's clearance problems, passed in as `clearance_problems`);
- hold vetting that does not last the whole expected period (it expires before the
  referral's expected end date; vetting is valid up to and including its expiry date);
- have no room left: their own caseload is full, or their organisation's contract has no
  places left;
- do not work in the participant's region.

**Weighted soft factors** (points, added up; the most a practitioner can score is
`MAX_TOTAL` = 110):

====================  ======  ==============================================================
factor                points  how
====================  ======  ==============================================================
specialism fit        50      `WEIGHT_SPECIALISM` * share of the referral's needs they cover
continuity            20      `WEIGHT_CONTINUITY` if they worked with this participant before
preferred language    15      `WEIGHT_LANGUAGE` if they speak it
preferred sex         10      `WEIGHT_SEX` if they are of the sex asked for
faith tradition       10      `WEIGHT_FAITH` if they share the faith tradition asked for
capacity headroom     5       `WEIGHT_HEADROOM` * min(places left, `HEADROOM_FULL_AT`) /
                              `HEADROOM_FULL_AT`: more room ranks a little higher
====================  ======  ==============================================================

Specialism fit weighs most because it is what the referral is for; continuity next, because a
participant who has built trust with someone should not have to start again; preferences
follow; headroom only separates otherwise equal practitioners. A preference the referral
does not state scores nothing for anyone, so it does not change the order.

**Queue allocation** (`assign_queue`) picks the set of (referral, practitioner) pairs that
first allocates as many referrals as possible and then, among those, has the greatest total
fit, within every practitioner's and every organisation's remaining places. It is solved
exactly as a small integer programme with `scipy.optimize.milp` (HiGHS); the constraint
matrix is that of a transportation problem with nested capacities, so the linear relaxation is
already integral and the solve is fast.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp  # type: ignore[import-untyped]
from scipy.sparse import coo_array  # type: ignore[import-untyped]

from desist.people.constants import Sex
from desist.providers.constants import FaithTradition, Language, Specialism

WEIGHT_SPECIALISM = 50.0
WEIGHT_CONTINUITY = 20.0
WEIGHT_LANGUAGE = 15.0
WEIGHT_SEX = 10.0
WEIGHT_FAITH = 10.0
WEIGHT_HEADROOM = 5.0
HEADROOM_FULL_AT = 5
MAX_TOTAL = (
    WEIGHT_SPECIALISM
    + WEIGHT_CONTINUITY
    + WEIGHT_LANGUAGE
    + WEIGHT_SEX
    + WEIGHT_FAITH
    + WEIGHT_HEADROOM
)

# Factor labels, as shown on the ranking page and stored with an allocation.
CLEARANCE = "Clearance"
VETTING = "Vetting period"
CAPACITY = "Capacity"
REGION = "Region"
SPECIALISM = "Specialism"
CONTINUITY = "Continuity"
LANGUAGE = "Language"
SEX = "Sex"
FAITH = "Faith tradition"
HEADROOM = "Room for more"


@dataclass(frozen=True)
class ReferralFacts:
    """What ranking needs to know about a referral (no names, no risk information)."""

    needs: Sequence[str]
    region_id: int
    preferred_sex: str = ""
    preferred_language: str = ""
    preferred_faith_tradition: str = ""
    expected_end_date: dt.date | None = None
    previous_practitioner_ids: Collection[int] = frozenset()
    # An opaque key for the caller (the referral's uuid); not used for scoring.
    key: str = ""


@dataclass(frozen=True)
class PractitionerFacts:
    id: int
    organisation_id: int
    specialisms: Collection[str]
    languages: Collection[str]
    faith_traditions: Collection[str]
    sex: str
    region_ids: Collection[int]
    capacity_left: int
    organisation_capacity_left: int
    vetting_expires_on: dt.date | None
    # Empty when cleared to work; otherwise plain-English problems from the providers app.
    clearance_problems: Sequence[str] = ()
    # For display only; never used for scoring.
    name: str = ""
    uuid: str = ""


@dataclass(frozen=True)
class Reason:
    """One line of "why": a factor, the points it gave and a plain-English explanation."""

    label: str
    points: float
    explanation: str
    excludes: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "points": self.points,
            "explanation": self.explanation,
            "excludes": self.excludes,
        }


@dataclass(frozen=True)
class Fit:
    eligible: bool
    # The soft-factor points. Shown for ineligible practitioners too, who still rank last.
    total: float
    reasons: list[Reason] = field(default_factory=list)

    @property
    def exclusions(self) -> list[Reason]:
        return [reason for reason in self.reasons if reason.excludes]


@dataclass(frozen=True)
class RankedPractitioner:
    practitioner: PractitionerFacts
    fit: Fit
    # 1, 2, 3... for eligible practitioners in order; None for those who cannot be allocated.
    position: int | None

    @property
    def id(self) -> int:
        return self.practitioner.id

    @property
    def eligible(self) -> bool:
        return self.fit.eligible

    @property
    def total(self) -> float:
        return self.fit.total

    @property
    def reasons(self) -> list[Reason]:
        return self.fit.reasons


def score(referral: ReferralFacts, practitioner: PractitionerFacts) -> Fit:
    """How well this practitioner fits this referral, and why.

    >>> fit = score(referral, practitioner)  # doctest: +SKIP
    >>> [r.explanation for r in fit.reasons]  # doctest: +SKIP
    ['Covers all 1 need: Mentoring (+50)', 'Speaks Urdu, the preferred language (+15)', ...]
    """
    exclusions = _exclusions(referral, practitioner)
    factors = [
        _specialism(referral, practitioner),
        _continuity(referral, practitioner),
        _language(referral, practitioner),
        _sex(referral, practitioner),
        _faith(referral, practitioner),
        _headroom(practitioner),
    ]
    soft = [reason for reason in factors if reason is not None]
    total = round(sum(reason.points for reason in soft), 2)
    return Fit(eligible=not exclusions, total=total, reasons=[*exclusions, *soft])


def rank(
    referral: ReferralFacts, practitioners: Sequence[PractitionerFacts]
) -> list[RankedPractitioner]:
    """Every practitioner with their fit: eligible ones best first, then the ineligible ones
    (with the reasons they cannot be allocated). Ties go to the lower id, so the order never
    changes between two looks at the same data."""
    fits = [(practitioner, score(referral, practitioner)) for practitioner in practitioners]
    fits.sort(key=lambda pair: (not pair[1].eligible, -pair[1].total, pair[0].id))
    ranked: list[RankedPractitioner] = []
    position = 0
    for practitioner, fit in fits:
        if fit.eligible:
            position += 1
        ranked.append(
            RankedPractitioner(
                practitioner=practitioner, fit=fit, position=position if fit.eligible else None
            )
        )
    return ranked


def assign_queue(
    referrals: Sequence[ReferralFacts], practitioners: Sequence[PractitionerFacts]
) -> dict[int, int]:
    """The best allocation of a whole queue: {index into `referrals`: practitioner id}.

    Maximises first the number of referrals allocated and then the total fit, subject to:
    each referral gets at most one practitioner; only eligible pairs; each practitioner takes
    at most `capacity_left` new referrals; each organisation at most its
    `organisation_capacity_left`. Referrals left out of the answer could not be allocated.

    >>> assign_queue([older, newer], [alice, bob])  # doctest: +SKIP
    {0: 2, 1: 1}

    Fit is counted in hundredths of a point, so every coefficient is a whole number, and each
    allocation is worth more than the whole fit of any queue (`per_allocation`), which makes
    "more referrals allocated" always win over "better fit". Inputs are sorted (referrals keep
    their queue order, practitioners by id) so the same data always gives the same answer.
    """
    if not referrals or not practitioners:
        return {}
    ordered = sorted(practitioners, key=lambda p: p.id)
    pairs: list[tuple[int, int, int]] = []  # (referral index, practitioner index, fit cents)
    for r_index, referral in enumerate(referrals):
        for p_index, practitioner in enumerate(ordered):
            fit = score(referral, practitioner)
            if fit.eligible:
                pairs.append((r_index, p_index, round(fit.total * 100)))
    if not pairs:
        return {}

    per_allocation = round(MAX_TOTAL * 100) * len(referrals) + 1
    objective = np.array([-(per_allocation + cents) for _, _, cents in pairs], dtype=float)

    organisation_rows: dict[int, int] = {}
    organisation_limit: dict[int, int] = {}
    for practitioner in ordered:
        org = practitioner.organisation_id
        organisation_rows.setdefault(org, len(organisation_rows))
        limit = max(practitioner.organisation_capacity_left, 0)
        organisation_limit[org] = min(organisation_limit.get(org, limit), limit)

    n_referrals = len(referrals)
    n_practitioners = len(ordered)
    rows: list[int] = []
    columns: list[int] = []
    for column, (r_index, p_index, _) in enumerate(pairs):
        org_row = organisation_rows[ordered[p_index].organisation_id]
        rows += [r_index, n_referrals + p_index, n_referrals + n_practitioners + org_row]
        columns += [column, column, column]
    n_rows = n_referrals + n_practitioners + len(organisation_rows)
    matrix = coo_array(
        (np.ones(len(rows)), (np.array(rows), np.array(columns))), shape=(n_rows, len(pairs))
    ).tocsr()
    upper = np.array(
        [1.0] * n_referrals
        + [float(max(p.capacity_left, 0)) for p in ordered]
        + [float(organisation_limit[org]) for org in organisation_rows],
    )
    result = milp(
        c=objective,
        integrality=np.ones(len(pairs)),
        bounds=Bounds(0, 1),
        constraints=LinearConstraint(matrix, -np.inf, upper),
        options={"mip_rel_gap": 0.0, "presolve": True},
    )
    if result.x is None:  # x = 0 is always feasible, so this means the solver itself failed
        raise RuntimeError(f"Queue allocation could not be solved: {result.message}")
    chosen: dict[int, int] = {}
    for value, (r_index, p_index, _) in zip(result.x, pairs, strict=True):
        if value > 0.5:
            chosen[r_index] = ordered[p_index].id
    return dict(sorted(chosen.items()))


def total_fit(
    referrals: Sequence[ReferralFacts],
    practitioners: Sequence[PractitionerFacts],
    assignment: dict[int, int],
) -> float:
    """The summed fit of an assignment (for tests and for showing the queue result)."""
    by_id = {p.id: p for p in practitioners}
    return round(
        sum(score(referrals[r], by_id[p]).total for r, p in assignment.items()),
        2,
    )


# Exclusions -------------------------------------------------------------------------------


def _exclusions(referral: ReferralFacts, practitioner: PractitionerFacts) -> list[Reason]:
    found = [
        Reason(CLEARANCE, 0.0, f"Not cleared to work: {_clause(problem)}", excludes=True)
        for problem in practitioner.clearance_problems
    ]
    vetting = _vetting_period(referral, practitioner)
    if vetting is not None:
        found.append(vetting)
    if practitioner.capacity_left <= 0:
        found.append(Reason(CAPACITY, 0.0, "Their caseload is full", excludes=True))
    if practitioner.organisation_capacity_left <= 0:
        found.append(
            Reason(CAPACITY, 0.0, "Their organisation's contract has no places left", excludes=True)
        )
    if referral.region_id not in practitioner.region_ids:
        found.append(
            Reason(REGION, 0.0, "Does not work in the participant's region", excludes=True)
        )
    return found


def _vetting_period(referral: ReferralFacts, practitioner: PractitionerFacts) -> Reason | None:
    end = referral.expected_end_date
    expires = practitioner.vetting_expires_on
    if end is None:
        return None
    if expires is None:
        return Reason(VETTING, 0.0, "No vetting expiry date is on record", excludes=True)
    # Vetting is valid up to and including its expiry date (as in the providers app).
    if expires >= end:
        return None
    return Reason(
        VETTING,
        0.0,
        f"Vetting expires on {_date(expires)}, before the expected end on {_date(end)}",
        excludes=True,
    )


# Soft factors -----------------------------------------------------------------------------


def _specialism(referral: ReferralFacts, practitioner: PractitionerFacts) -> Reason | None:
    needs = list(dict.fromkeys(referral.needs))
    if not needs:
        return None
    covered = [need for need in needs if need in practitioner.specialisms]
    missing = [need for need in needs if need not in practitioner.specialisms]
    points = round(WEIGHT_SPECIALISM * len(covered) / len(needs), 2)
    if not missing:
        noun = "need" if len(needs) == 1 else "needs"
        text = f"Covers all {len(needs)} {noun}: {_labels(Specialism, covered)}"
    elif not covered:
        text = f"Covers none of the needs: {_labels(Specialism, missing)}"
    else:
        text = (
            f"Covers {len(covered)} of {len(needs)} needs: {_labels(Specialism, covered)}; "
            f"not {_labels(Specialism, missing, joiner='or')}"
        )
    return Reason(SPECIALISM, points, f"{text} ({_points(points)})")


def _continuity(referral: ReferralFacts, practitioner: PractitionerFacts) -> Reason | None:
    if practitioner.id not in referral.previous_practitioner_ids:
        return None
    points = WEIGHT_CONTINUITY
    return Reason(
        CONTINUITY, points, f"Has worked with this participant before ({_points(points)})"
    )


def _language(referral: ReferralFacts, practitioner: PractitionerFacts) -> Reason | None:
    wanted = referral.preferred_language
    if not wanted:
        return None
    name = _label(Language, wanted)
    if wanted in practitioner.languages:
        points = WEIGHT_LANGUAGE
        return Reason(
            LANGUAGE, points, f"Speaks {name}, the preferred language ({_points(points)})"
        )
    return Reason(LANGUAGE, 0.0, f"Does not speak {name}, the preferred language (+0)")


def _sex(referral: ReferralFacts, practitioner: PractitionerFacts) -> Reason | None:
    wanted = referral.preferred_sex
    if not wanted or wanted == Sex.NOT_KNOWN:
        return None
    name = _label(Sex, wanted).lower()
    if practitioner.sex == wanted:
        points = WEIGHT_SEX
        return Reason(SEX, points, f"Is {name}, as preferred ({_points(points)})")
    return Reason(SEX, 0.0, f"Is not {name}, the preferred sex (+0)")


def _faith(referral: ReferralFacts, practitioner: PractitionerFacts) -> Reason | None:
    wanted = referral.preferred_faith_tradition
    if not wanted:
        return None
    name = _label(FaithTradition, wanted)
    if wanted in practitioner.faith_traditions:
        points = WEIGHT_FAITH
        return Reason(
            FAITH, points, f"Shares the preferred faith tradition, {name} ({_points(points)})"
        )
    return Reason(FAITH, 0.0, f"Does not share the preferred faith tradition, {name} (+0)")


def _headroom(practitioner: PractitionerFacts) -> Reason | None:
    places = practitioner.capacity_left
    if places <= 0:
        return None
    points = round(WEIGHT_HEADROOM * min(places, HEADROOM_FULL_AT) / HEADROOM_FULL_AT, 2)
    noun = "participant" if places == 1 else "participants"
    return Reason(HEADROOM, points, f"Has room for {places} more {noun} ({_points(points)})")


# Wording ----------------------------------------------------------------------------------


def _label(choices: Any, code: str) -> str:
    try:
        return str(choices(code).label)
    except ValueError:
        return code


def _labels(choices: Any, codes: Sequence[str], joiner: str = "and") -> str:
    names = [_label(choices, code) for code in codes]
    if len(names) <= 1:
        return "".join(names)
    return f"{', '.join(names[:-1])} {joiner} {names[-1]}"


def _clause(sentence: str) -> str:
    """'Vetting expired on 1 March 2026.' -> 'vetting expired on 1 March 2026', to follow a
    colon."""
    text = sentence.strip().rstrip(".")
    return text[:1].lower() + text[1:]


def _points(points: float) -> str:
    if float(points).is_integer():
        return f"+{int(points)}"
    return f"+{points:.1f}"


def _date(day: dt.date) -> str:
    return f"{day.day} {day:%B %Y}"
