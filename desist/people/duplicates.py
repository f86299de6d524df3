"""Records of the same person: the rules that link participant records, and the reads on them.

Two participant records are *linked* (treated as one person in statistics) when:

- they share a non-blank identifier: PNC number, prison number or probation case reference
  (CRN). Values are compared trimmed and upper-cased; a PNC number's year is compared by its
  last two digits, so ``2012/0012345K`` and ``12/0012345K`` match (the check letter is worked
  out from the two-digit year, and forms and the importer zero-pad the serial);
- or they have the same given name and family name (trimmed, case-insensitive) and the same
  date of birth;
- or a programme manager decided they are the same person (`DuplicateDecision` "same_person").

Links are followed transitively: if A is linked to B and B to C, all three are one person.

**The "different people" rule.** A decision that two records are different people removes the
automatic links *between that pair only*; it does not cut any other link. So if A and B share
a PNC number, B and C have the same name and date of birth, and a programme manager decided
A and C are different people, A, B and C are still one person (through B), and the pair A/C is
reported by `conflicting_distinct_pairs()` so that someone can look at B. Breaking chains
automatically would mean choosing which of the other links to ignore, which the data cannot
tell us.

Automatic links that nobody has decided on are *suspected duplicates* (`suspected_pairs()`):
they already count once in statistics, and are listed for a programme manager to confirm
(merge) or mark as different people.

The work is one read of the key columns of every record, grouped by pandas under each rule
(no pairwise comparison of records), and the groups are joined with
`scipy.sparse.csgraph.connected_components`.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd  # type: ignore[import-untyped]
from django.db import connection
from scipy.sparse import coo_array  # type: ignore[import-untyped]
from scipy.sparse.csgraph import connected_components  # type: ignore[import-untyped]

from desist.people.models import Participant
from desist.people.models_duplicates import DuplicateDecision, DuplicateDecisionKind

PNC_NUMBER = "pnc_number"
PRISON_NUMBER = "prison_number"
PROBATION_CRN = "probation_crn"
NAME_AND_DATE_OF_BIRTH = "name_and_date_of_birth"

RULES = (PNC_NUMBER, PRISON_NUMBER, PROBATION_CRN, NAME_AND_DATE_OF_BIRTH)
RULE_LABELS = {
    PNC_NUMBER: "Same PNC number",
    PRISON_NUMBER: "Same prison number",
    PROBATION_CRN: "Same probation case reference",
    NAME_AND_DATE_OF_BIRTH: "Same name and date of birth",
}

Pair = tuple[int, int]


def ordered_pair(a: int, b: int) -> Pair:
    """A pair of primary keys, lower first (as `DuplicateDecision` stores it)."""
    if a == b:
        raise ValueError("A record cannot be a duplicate of itself.")
    return (a, b) if a < b else (b, a)


def _key_frame() -> pd.DataFrame:
    """Every participant record's pk and its key under each rule ("" where the rule does not
    apply to the record). Records with equal non-blank keys are linked under the rule.

    One query for every record, with the keys worked out by pandas: four GROUP BYs over
    expressions took the database a second for 100,000 records, this about a tenth of that.
    Python's case mapping also treats every alphabet alike, where SQLite's UPPER and LOWER
    know ASCII only, so the rules are the same on SQLite and PostgreSQL."""
    table = connection.ops.quote_name(Participant._meta.db_table)
    sql = (
        "SELECT id, pnc_number, prison_number, probation_crn, given_name, family_name, "  # noqa: S608 - fixed names
        f"CAST(date_of_birth AS TEXT) FROM {table}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql)
        rows = cursor.fetchall()
    names = ["id", "pnc", "prison", "crn", "given", "family", "born"]
    frame = pd.DataFrame(rows, columns=names).astype({"id": "int64"})
    if frame.empty:
        return pd.DataFrame({"id": np.zeros(0, dtype=np.int64), **{rule: [] for rule in RULES}})

    def upper_trim(column: str) -> pd.Series[str]:
        return frame[column].fillna("").astype(str).str.strip(" ").str.upper()

    pnc = upper_trim("pnc")
    # "2012/0012345K" -> "12/0012345K": compare the year by its last two digits.
    pnc = pnc.where(pnc.str[4:5] != "/", pnc.str[2:])
    given = frame["given"].fillna("").astype(str).str.strip(" ").str.lower()
    family = frame["family"].fillna("").astype(str).str.strip(" ").str.lower()
    # Both names must be present for a name to identify anyone.
    name = (given + "\x1f" + family + "\x1f" + frame["born"].fillna("").astype(str)).where(
        (given != "") & (family != ""), ""
    )
    return pd.DataFrame(
        {
            "id": frame["id"],
            PNC_NUMBER: pnc,
            PRISON_NUMBER: upper_trim("prison"),
            PROBATION_CRN: upper_trim("crn"),
            NAME_AND_DATE_OF_BIRTH: name,
        }
    )


def _groups_in(frame: pd.DataFrame, rule: str) -> list[list[int]]:
    keyed = frame.loc[frame[rule] != "", ["id", rule]]
    shared = keyed[keyed[rule].duplicated(keep=False)].sort_values([rule, "id"])
    if shared.empty:
        return []
    ids = shared["id"].to_numpy(dtype=np.int64)
    keys = shared[rule].to_numpy()
    starts = np.flatnonzero(keys[1:] != keys[:-1]) + 1
    return [[int(pk) for pk in members] for members in np.split(ids, starts)]


def rule_groups(rule: str) -> list[list[int]]:
    """Groups of two or more participant pks sharing a key under `rule`, each sorted, in the
    order of their keys."""
    if rule not in RULES:
        raise ValueError(f"Unknown duplicate rule {rule!r}")
    return _groups_in(_key_frame(), rule)


def _all_groups() -> dict[str, list[list[int]]]:
    frame = _key_frame()
    return {rule: _groups_in(frame, rule) for rule in RULES}


def decisions() -> dict[Pair, str]:
    """Every decided pair (lower pk first) and its decision."""
    return {
        (first, second): decision
        for first, second, decision in DuplicateDecision.objects.order_by().values_list(
            "first_id", "second_id", "decision"
        )
    }


@dataclass(frozen=True)
class SuspectedPair:
    first_id: int
    second_id: int
    rules: tuple[str, ...]  # codes from RULES, in that order

    @property
    def reasons(self) -> list[str]:
        return [RULE_LABELS[rule] for rule in self.rules]


def suspected_pairs(*, links: DuplicateLinks | None = None) -> list[SuspectedPair]:
    """Pairs of records linked by a rule that nobody has decided on yet (either way), ordered
    by the pair's primary keys. Each pair lists every rule that links it."""
    if links is None:
        return _suspected(_all_groups(), decisions())
    return _suspected(links.groups, links.decided)


def _suspected(groups: dict[str, list[list[int]]], decided: dict[Pair, str]) -> list[SuspectedPair]:
    found: dict[Pair, list[str]] = defaultdict(list)
    for rule in RULES:
        for members in groups[rule]:
            for pair in itertools.combinations(members, 2):  # members are sorted
                if pair not in decided:
                    found[pair].append(rule)
    return [SuspectedPair(a, b, tuple(rules)) for (a, b), rules in sorted(found.items())]


@dataclass(frozen=True)
class _Linking:
    canonical: dict[int, int]  # only records linked to at least one other record
    conflicts: list[Pair]  # decided distinct, yet linked through other records


def _link(groups: dict[str, list[list[int]]], decided: dict[Pair, str]) -> _Linking:
    distinct = {pair for pair, kind in decided.items() if kind == DuplicateDecisionKind.DISTINCT}
    all_groups = [members for rule in RULES for members in groups[rule]]
    # Groups holding both records of a "distinct" pair lose that one link: they are joined as
    # every pair but those (a clique); every other group as a star, which links the same records.
    groups_of: dict[int, list[int]] = defaultdict(list)
    for index, members in enumerate(all_groups):
        for pk in members:
            groups_of[pk].append(index)
    cliques: set[int] = set()
    for a, b in distinct:
        cliques.update(set(groups_of.get(a, ())) & set(groups_of.get(b, ())))

    sources: list[int] = []
    targets: list[int] = []
    for index, members in enumerate(all_groups):
        if index in cliques:
            for a, b in itertools.combinations(members, 2):
                if (a, b) not in distinct:
                    sources.append(a)
                    targets.append(b)
        else:
            head = members[0]
            sources.extend([head] * (len(members) - 1))
            targets.extend(members[1:])
    for (a, b), kind in decided.items():
        if kind == DuplicateDecisionKind.SAME_PERSON:
            sources.append(a)
            targets.append(b)

    nodes = sorted(set(sources) | set(targets))
    if not nodes:
        return _Linking({}, [])
    position = {pk: i for i, pk in enumerate(nodes)}
    rows = np.fromiter((position[pk] for pk in sources), dtype=np.int64, count=len(sources))
    cols = np.fromiter((position[pk] for pk in targets), dtype=np.int64, count=len(targets))
    graph = coo_array(
        (np.ones(len(rows), dtype=np.int8), (rows, cols)), shape=(len(nodes), len(nodes))
    )
    _, labels = connected_components(graph, directed=False)
    smallest: dict[int, int] = {}
    for pk, label in zip(nodes, labels.tolist(), strict=True):
        smallest.setdefault(label, pk)  # nodes are sorted: the first seen is the smallest
    canonical = {pk: smallest[label] for pk, label in zip(nodes, labels.tolist(), strict=True)}
    conflicts = sorted(
        (a, b) for a, b in distinct if a in canonical and canonical.get(b) == canonical[a]
    )
    return _Linking(canonical, conflicts)


@dataclass(frozen=True)
class DuplicateLinks:
    """The links worked out once (five queries), for callers that need several answers:
    ``links = duplicate_links()`` then ``person_groups(ids, links=links)`` and
    ``duplicate_treatment_text(ids, links=links)``."""

    groups: dict[str, list[list[int]]]
    decided: dict[Pair, str]
    linking: _Linking


def duplicate_links() -> DuplicateLinks:
    groups = _all_groups()
    decided = decisions()
    return DuplicateLinks(groups, decided, _link(groups, decided))


def person_groups(
    participant_ids: Iterable[int] | None = None, *, links: DuplicateLinks | None = None
) -> dict[int, int]:
    """Map each participant pk to its person key: the smallest pk of the records linked to it
    (itself when it is linked to none). Records with the same key are one person.

    With `participant_ids`, only those pks are returned, but links are still worked out over
    every record: two records in the list joined through a third outside it are one person,
    and the key may be the pk of a record outside the list. Unknown pks map to themselves.
    Count people with ``len(set(person_groups(ids).values()))``."""
    canonical = (links or duplicate_links()).linking.canonical
    if participant_ids is None:
        ids: Iterable[int] = Participant.objects.order_by().values_list("id", flat=True)
    else:
        ids = participant_ids
    return {pk: canonical.get(pk, pk) for pk in ids}


def conflicting_distinct_pairs(*, links: DuplicateLinks | None = None) -> list[Pair]:
    """Pairs decided to be different people that other links still join into one person."""
    return (links or duplicate_links()).linking.conflicts


def _plural(count: int, one: str, many: str) -> str:
    return f"{count:,} {one if count == 1 else many}"


def duplicate_treatment_text(
    participant_ids: Iterable[int] | None = None, *, links: DuplicateLinks | None = None
) -> str:
    """One paragraph, in plain English, on how duplicate records were treated, for statistics
    outputs. With `participant_ids` (the records a table counts), the counts are about those
    records (a suspected pair counts when both its records are among them); otherwise about
    every participant record."""
    links = links or duplicate_links()
    groups, decided, linking = links.groups, links.decided, links.linking
    if participant_ids is None:
        population = set(Participant.objects.order_by().values_list("id", flat=True))
    else:
        population = set(participant_ids)
    keys = [linking.canonical.get(pk, pk) for pk in population]
    people_of: dict[int, int] = defaultdict(int)
    for key in keys:
        people_of[key] += 1
    shared_records = sum(n for n in people_of.values() if n > 1)
    shared_people = sum(1 for n in people_of.values() if n > 1)
    unconfirmed = sum(
        1
        for pair in _suspected(groups, decided)
        if pair.first_id in population and pair.second_id in population
    )
    merged = sum(1 for kind in decided.values() if kind == DuplicateDecisionKind.SAME_PERSON)
    distinct = len(decided) - merged
    parts = [
        "Records of the same person were counted once. Two records were treated as the same "
        "person when they shared a PNC number, prison number or probation case reference "
        "(ignoring case and spaces, and comparing a PNC year by its last two digits), when "
        "they had the same given name, family name and date of birth (ignoring case), or when "
        "a programme manager confirmed they were the same person; chains of such links were "
        "followed. A decision that two records are different people removes the link between "
        "those two records only. No record was deleted or changed to do this.",
        f"Here {_plural(len(population), 'record', 'records')} "
        f"{'was' if len(population) == 1 else 'were'} counted as "
        f"{_plural(len(people_of), 'person', 'people')}: "
        f"{_plural(shared_records, 'record', 'records')} of people with more than one record "
        f"{'was' if shared_records == 1 else 'were'} combined into "
        f"{_plural(shared_people, 'person', 'people')}.",
        f"Programme managers have confirmed {_plural(merged, 'pair', 'pairs')} of records as "
        f"the same person and {_plural(distinct, 'pair', 'pairs')} as different people.",
        f"{_plural(unconfirmed, 'pair', 'pairs')} of records "
        f"{'is' if unconfirmed == 1 else 'are'} suspected to be the same person and not yet "
        "confirmed; they are counted as one person until a programme manager decides.",
    ]
    if linking.conflicts:
        parts.append(
            f"{_plural(len(linking.conflicts), 'pair', 'pairs')} decided to be different people "
            f"{'is' if len(linking.conflicts) == 1 else 'are'} still joined through other "
            "records and counted as one person."
        )
    return " ".join(parts)
