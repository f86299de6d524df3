"""Proven reoffending of the programme's own participants: their index events worked out from
their legal bases, and an offences file (an extract from police or court records) linked to
them by pseudonym or PNC number.

Index events come from the participant's legal bases (`desist.people.models.LegalBasis`):

- licence conditions: released from custody on the day the licence starts;
- a custodial sentence with an end date: released from custody on that date (one without an
  end date is still being served);
- a community or suspended sentence order: a non-custodial court disposal on the day it
  starts;
- TPIM notices, temporary exclusion orders and voluntary participation are not disposals of
  a court, so they are not index events.

Each person counts once, from their first index event in the cohort period (the library does
that). The date of birth and sex are the participant's own; there is no index offence group
or count of previous offences on a participant's record, so those breakdowns need an uploaded
index events file.

Participants are read through the access gate for statistical work
(`pseudonymised_participants_for`), PNC numbers only through the gate for identifiable records
(`participants_for`), so only programme managers can link by PNC number. Inside the
computation a participant is its database id; nothing that leaves this module names a person
except by the id in the offences file itself (in an error message for the person who uploaded
it).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd  # type: ignore[import-untyped]

from desist.accounts.access import participants_for, pseudonymised_participants_for
from desist.accounts.constants import Role
from desist.accounts.models import User
from desist.evaluation.constants import LinkedBy
from desist.people.constants import LegalBasisKind, Sex
from desist.people.identifiers import normalise_pnc
from desist.people.models import LegalBasis
from desist_analytics import IndexEvents, InputProblem, Offences, ReoffendingInputError

SOURCE = "the programme's participants"
INDEX_COLUMNS = ["person_id", "event_type", "event_date", "date_of_birth", "sex"]
FIRST_DATA_ROW = 2  # spreadsheet rows: the header is row 1
SHOWN_PROBLEMS = 5
# The breakdowns that need a column a participant's record does not have.
NEEDS_A_FILE = ("offence-group", "previous-offences")
SEX_LABELS = {Sex.FEMALE.value: "Female", Sex.MALE.value: "Male", Sex.NOT_KNOWN.value: ""}
# The legal bases that are index events: (event type, which date).
INDEX_EVENT_KINDS = {
    LegalBasisKind.LICENCE.value: ("custody_release", "start_date"),
    LegalBasisKind.CUSTODIAL_SENTENCE.value: ("custody_release", "end_date"),
    LegalBasisKind.COMMUNITY_ORDER.value: ("court_noncustodial", "start_date"),
}


def may_link_by(user: User, linked_by: str) -> bool:
    """Whether this user may link offences to participants by this identifier."""
    if linked_by == LinkedBy.PNC_NUMBER:
        return bool(user.has_role(Role.PROGRAMME_MANAGER))
    return bool(user.has_role(Role.ANALYST, Role.PROGRAMME_MANAGER))


@dataclass(frozen=True)
class ParticipantEvents:
    """The participants' index events, and how many participants have one."""

    events: IndexEvents
    participants: int


def participant_index_events(actor: User) -> ParticipantEvents:
    """Every index event of every participant the actor may use for statistics (see the
    module docstring for which legal bases count), one row per legal basis.

    Raises:
        ReoffendingInputError: a legal basis that cannot be an index event as recorded (a
            date before the date of birth, or before the age of 10), naming the participant
            by pseudonym and the legal basis, never by name.
    """
    people = pseudonymised_participants_for(actor)
    rows = list(
        LegalBasis.objects.filter(
            participant__in=people.values("pk"), kind__in=list(INDEX_EVENT_KINDS)
        )
        .order_by("participant_id", "start_date", "pk")
        .values_list(
            "participant_id",
            "kind",
            "start_date",
            "end_date",
            "participant__date_of_birth",
            "participant__sex",
            "participant__pseudonym",
        )
    )
    kept = []
    for person, kind, start, end, born, sex, pseudonym in rows:
        event_type, which = INDEX_EVENT_KINDS[kind]
        day = start if which == "start_date" else end
        if day is not None:
            kept.append((person, event_type, day, born, SEX_LABELS.get(sex, ""), pseudonym, kind))
    frame = pd.DataFrame(kept, columns=[*INDEX_COLUMNS, "pseudonym", "kind"]).astype(
        {"person_id": "int64", "event_date": "object", "date_of_birth": "object"}
    )
    try:
        events = IndexEvents.from_frame(frame[INDEX_COLUMNS], source=SOURCE)
    except ReoffendingInputError as error:
        raise _named(error, frame) from None
    return ParticipantEvents(events, int(frame["person_id"].nunique()))


def _named(error: ReoffendingInputError, frame: pd.DataFrame) -> ReoffendingInputError:
    """The library's error about row N of the derived table, about a participant instead."""

    def who(problem: InputProblem) -> str:
        if problem.row is None:
            return problem.message
        at = frame.iloc[problem.row - FIRST_DATA_ROW]
        basis = LegalBasisKind(at["kind"]).label.lower()
        day = f"{at['event_date']:%Y-%m-%d}"
        return f"participant {at['pseudonym']}, {basis} of {day}: {problem.message}"

    first, *more = error.problems
    return ReoffendingInputError(
        SOURCE,
        None,
        None,
        who(first),
        more=[InputProblem(None, None, who(p)) for p in more],
        total=error.total,
    )


@dataclass(frozen=True)
class LinkedOffences:
    """The offences of participants, and what happened to each row of the file."""

    offences: Offences
    rows: int
    linked: int
    unlinked: int
    ambiguous: int

    def to_dict(self) -> dict[str, int]:
        return {
            "offence_rows": self.rows,
            "linked": self.linked,
            "unlinked": self.unlinked,
            "ambiguous": self.ambiguous,
        }


def link_offences(actor: User, offences: Offences, linked_by: str) -> LinkedOffences:
    """The offences whose `person_id` is the pseudonym (or PNC number) of a participant the
    actor may use, with `person_id` replaced by the participant's database id.

    Rows matching no participant are left out and counted (`unlinked`); so are rows whose PNC
    number is on more than one participant's record (`ambiguous`: suspected duplicate records,
    see the duplicates page), since which person the offence is would be a guess. An offence
    before the linked participant's date of birth is an error naming the row of the file.

    Raises:
        ReoffendingInputError: an offence before the date of birth of its participant.
    """
    if linked_by == LinkedBy.PNC_NUMBER:
        pairs = participants_for(actor).exclude(pnc_number="").values_list("pnc_number", "pk")
        normalise = normalise_pnc
    else:
        pairs = pseudonymised_participants_for(actor).values_list("pseudonym", "pk")

        def normalise(value: str) -> str:
            return value.strip().upper()

    keys = pd.DataFrame(list(pairs), columns=["key", "pk"])
    keys["key"] = keys["key"].map(normalise)
    shared = keys["key"].duplicated(keep=False)
    ambiguous_keys = set(keys.loc[shared, "key"])
    lookup = keys.loc[~shared].set_index("key")["pk"]
    births = dict(pseudonymised_participants_for(actor).values_list("pk", "date_of_birth"))

    texts = pd.Series(offences.person_id).astype(str)
    unique = pd.unique(texts)
    normalised = texts.map(dict(zip(unique, map(normalise, unique), strict=True)))
    person = normalised.map(lookup)
    linked = person.notna().to_numpy()
    ambiguous = int(normalised.isin(ambiguous_keys).sum())
    ids = person[linked].astype(np.int64).to_numpy()
    rows = np.flatnonzero(linked)

    committed = offences.offence_date[rows]
    birth = np.array([births[i] for i in ids], dtype="datetime64[D]")
    early = np.flatnonzero(committed < birth)
    if early.size:
        problems = [
            InputProblem(
                int(rows[i]) + FIRST_DATA_ROW,
                "offence_date",
                f"offence date {committed[i]} is before the date of birth {birth[i]} of "
                f"participant {texts.iloc[rows[i]]}",
            )
            for i in early[:SHOWN_PROBLEMS]
        ]
        first, *more = problems
        raise ReoffendingInputError(
            offences.source, first.row, first.column, first.message, more=more, total=early.size
        )
    kept = Offences(
        person_id=ids,
        offence_date=offences.offence_date[rows],
        disposal_date=offences.disposal_date[rows],
        disposal_type=offences.disposal_type[rows],
        is_breach=offences.is_breach[rows],
        source=offences.source,
    )
    total = len(offences)
    return LinkedOffences(
        kept, total, int(rows.size), total - int(rows.size) - ambiguous, ambiguous
    )
