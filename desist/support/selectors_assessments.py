"""Reads for needs and strengths assessments and progress measures.

Person-centred support is for those who work with the person (`access.SUPPORT_READERS`): the
programme team, the supervising organisation and involved agencies, and the allocated
practitioner; not the police liaison. Lists start from `support_participants_for`, the gate's
rows narrowed to those relationships.

"Distance travelled" is the change in need on each pathway between a person's first and
latest assessment, with need as a number (`NEED_SCORE`: none 0, low 1, medium 2, high 3), so a
fall is progress. The arithmetic is in small pure functions (`distance_travelled`,
`caseload_need_means`, `caseload_item_means`), tested on hand-worked values.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.db.models import QuerySet

from desist.accounts.access import support_participants_for
from desist.people.models import Participant
from desist.support.constants import NEED_SCORE, InstrumentKind, NeedLevel, Pathway
from desist.support.instruments import item_definitions
from desist.support.models import Assessment, Instrument, MeasureResponse, PathwayAssessment

if TYPE_CHECKING:
    from desist.accounts.access import AnyUser

# The progress measure the caseload page summarises.
CASELOAD_MEASURE = "ons4"
PATHWAY_ORDER = {code: position for position, code in enumerate(Pathway.values)}


# Who sees what --------------------------------------------------------------------------------


def assessments_for(user: AnyUser) -> QuerySet[Assessment]:
    return (
        Assessment.objects.filter(participant__in=support_participants_for(user))
        .select_related("participant", "instrument", "recorded_by")
        .prefetch_related("pathways")
        .order_by("-assessed_on", "-id")
    )


def measure_responses_for(user: AnyUser) -> QuerySet[MeasureResponse]:
    return (
        MeasureResponse.objects.filter(participant__in=support_participants_for(user))
        .select_related("participant", "instrument", "recorded_by")
        .order_by("-completed_on", "-id")
    )


def assessments_of(participant: Participant) -> QuerySet[Assessment]:
    """The participant's assessments, newest first. The caller has passed the gate."""
    return (
        Assessment.objects.filter(participant=participant)
        .select_related("instrument", "recorded_by")
        .prefetch_related("pathways")
        .order_by("-assessed_on", "-id")
    )


def measure_responses_of(participant: Participant, key: str | None = None) -> QuerySet[Any]:
    """The participant's measure responses, newest first (of one instrument key if given)."""
    rows = MeasureResponse.objects.filter(participant=participant)
    if key is not None:
        rows = rows.filter(instrument__key=key)
    return rows.select_related("instrument", "recorded_by").order_by("-completed_on", "-id")


# Instruments ----------------------------------------------------------------------------------


def active_instruments(kind: str) -> list[Instrument]:
    """Instruments offered for new records: the newest active version of each key."""
    newest: dict[str, Instrument] = {}
    for instrument in Instrument.objects.filter(kind=kind, active=True).order_by("key", "-version"):
        newest.setdefault(instrument.key, instrument)
    return list(newest.values())


def active_instrument(kind: str, key: str | None = None) -> Instrument | None:
    """The instrument to use for a new record: the one with `key`, or the only one of its kind;
    None when there is no such instrument, or several and no key says which."""
    offered = active_instruments(kind)
    if key is not None:
        return next((i for i in offered if i.key == key), None)
    return offered[0] if len(offered) == 1 else None


def pathway_label(code: str) -> str:
    try:
        return str(Pathway(code).label)
    except ValueError:
        return code


def need_label(code: str) -> str:
    try:
        return str(NeedLevel(code).label)
    except ValueError:
        return code


# Distance travelled (pure) --------------------------------------------------------------------


@dataclass(frozen=True)
class PathwayDistance:
    """Need on one pathway at a person's first and latest assessment of it."""

    pathway: str
    first_on: dt.date
    first_level: str
    latest_on: dt.date
    latest_level: str
    assessments: int  # how many assessments covered the pathway

    @property
    def first_score(self) -> int:
        return NEED_SCORE[self.first_level]

    @property
    def latest_score(self) -> int:
        return NEED_SCORE[self.latest_level]

    @property
    def change(self) -> int:
        """Latest minus first: negative when need has fallen (progress)."""
        return self.latest_score - self.first_score

    @property
    def label(self) -> str:
        return pathway_label(self.pathway)

    @property
    def first_label(self) -> str:
        return need_label(self.first_level)

    @property
    def latest_label(self) -> str:
        return need_label(self.latest_level)

    @property
    def direction(self) -> str:
        if self.assessments < 2:
            return "Assessed once"
        if self.change < 0:
            return f"Need fell by {-self.change}"
        if self.change > 0:
            return f"Need rose by {self.change}"
        return "No change"


def distance_travelled(
    history: Iterable[tuple[dt.date, Mapping[str, str]]],
) -> list[PathwayDistance]:
    """Per pathway, the need at the first and the latest assessment that covered it.

    `history` is (assessed_on, {pathway: need level}) for each assessment, oldest first (two
    on the same day count in the order given). Pathways come back in the order of `Pathway`.

    >>> d = distance_travelled([(dt.date(2026, 1, 5), {"finance": "high"}),
    ...                         (dt.date(2026, 3, 2), {"finance": "low"})])
    >>> (d[0].first_score, d[0].latest_score, d[0].change)
    (3, 1, -2)
    """
    first: dict[str, tuple[dt.date, str]] = {}
    latest: dict[str, tuple[dt.date, str]] = {}
    counts: dict[str, int] = defaultdict(int)
    for assessed_on, levels in history:
        for pathway, level in levels.items():
            first.setdefault(pathway, (assessed_on, level))
            latest[pathway] = (assessed_on, level)
            counts[pathway] += 1
    return [
        PathwayDistance(
            pathway=pathway,
            first_on=first[pathway][0],
            first_level=first[pathway][1],
            latest_on=latest[pathway][0],
            latest_level=latest[pathway][1],
            assessments=counts[pathway],
        )
        for pathway in sorted(first, key=lambda code: (PATHWAY_ORDER.get(code, 99), code))
    ]


def _history(rows: Iterable[Mapping[str, Any]]) -> list[tuple[dt.date, dict[str, str]]]:
    """PathwayAssessment value rows (ordered by date, then assessment) as a history."""
    by_assessment: dict[int, tuple[dt.date, dict[str, str]]] = {}
    for row in rows:
        entry = by_assessment.setdefault(row["assessment_id"], (row["assessment__assessed_on"], {}))
        entry[1][row["pathway"]] = row["need_level"]
    return list(by_assessment.values())


_HISTORY_FIELDS = (
    "assessment__participant_id",
    "assessment_id",
    "assessment__assessed_on",
    "pathway",
    "need_level",
)
_HISTORY_ORDER = ("assessment__participant_id", "assessment__assessed_on", "assessment_id", "id")


def participant_distance(participant: Participant) -> list[PathwayDistance]:
    rows = (
        PathwayAssessment.objects.filter(assessment__participant=participant)
        .order_by(*_HISTORY_ORDER)
        .values(*_HISTORY_FIELDS)
    )
    return distance_travelled(_history(rows))


# Measures -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MeasureItem:
    key: str
    label: str
    text: str
    low: int
    high: int
    better: str  # "higher" or "lower"

    @property
    def chart_label(self) -> str:
        return f"{self.label} (lower is better)" if self.better == "lower" else self.label


def measure_items(instrument: Instrument) -> list[MeasureItem]:
    return [
        MeasureItem(
            key=key,
            label=item["label"],
            text=item["text"],
            low=item["min"],
            high=item["max"],
            better=item["better"],
        )
        for key, item in item_definitions(instrument.definition).items()
    ]


@dataclass
class MeasureHistory:
    """One person's responses to one measure (every version of its key), oldest first."""

    key: str
    title: str
    credit: str
    items: list[MeasureItem]
    responses: list[MeasureResponse]

    @property
    def dates(self) -> list[dt.date]:
        return [response.completed_on for response in self.responses]

    def series(self) -> list[tuple[str, list[float | None]]]:
        """(label, score at each response or None) per item, for a line chart."""
        return [
            (
                item.chart_label,
                [_score(response.scores.get(item.key)) for response in self.responses],
            )
            for item in self.items
        ]

    def rows(self) -> list[tuple[MeasureResponse, list[Any]]]:
        """Newest first, each with its scores in item order ('' when not given)."""
        return [
            (response, [response.scores.get(item.key, "") for item in self.items])
            for response in reversed(self.responses)
        ]


def _score(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) else None


def _definition_instrument(key: str) -> Instrument | None:
    """The version whose items describe the key: the newest active one, else the newest."""
    rows = Instrument.objects.filter(key=key, kind=InstrumentKind.MEASURE)
    return (
        rows.filter(active=True).order_by("-version").first() or rows.order_by("-version").first()
    )


def measure_histories(participant: Participant) -> list[MeasureHistory]:
    """The participant's responses grouped by measure, each oldest first."""
    grouped: dict[str, list[MeasureResponse]] = defaultdict(list)
    for response in measure_responses_of(participant).order_by("completed_on", "id"):
        grouped[response.instrument.key].append(response)
    histories = []
    for key in sorted(grouped):
        instrument = _definition_instrument(key) or grouped[key][-1].instrument
        histories.append(
            MeasureHistory(
                key=key,
                title=instrument.title,
                credit=instrument.credit,
                items=measure_items(instrument),
                responses=grouped[key],
            )
        )
    return histories


# A caseload (pure means, then the reads) -------------------------------------------------------


@dataclass(frozen=True)
class NeedMean:
    pathway: str
    first_mean: float
    latest_mean: float
    people: int

    @property
    def label(self) -> str:
        return pathway_label(self.pathway)

    @property
    def change(self) -> float:
        return self.latest_mean - self.first_mean


def caseload_need_means(people: Iterable[Sequence[PathwayDistance]]) -> list[NeedMean]:
    """Per pathway, the mean need score at people's first and at their latest assessment, over
    the people assessed on that pathway (someone assessed once counts the same in both).

    Two people, finance high then low (3, 1) and medium then medium (2, 2): first mean 2.5,
    latest mean 1.5.
    """
    firsts: dict[str, list[int]] = defaultdict(list)
    latests: dict[str, list[int]] = defaultdict(list)
    for distances in people:
        for distance in distances:
            firsts[distance.pathway].append(distance.first_score)
            latests[distance.pathway].append(distance.latest_score)
    return [
        NeedMean(
            pathway=pathway,
            first_mean=sum(firsts[pathway]) / len(firsts[pathway]),
            latest_mean=sum(latests[pathway]) / len(latests[pathway]),
            people=len(firsts[pathway]),
        )
        for pathway in sorted(firsts, key=lambda code: (PATHWAY_ORDER.get(code, 99), code))
    ]


@dataclass(frozen=True)
class ItemMean:
    item: MeasureItem
    first_mean: float
    latest_mean: float
    people: int


def caseload_item_means(
    items: Sequence[MeasureItem], people: Iterable[Sequence[Mapping[str, Any]]]
) -> list[ItemMean]:
    """Per item, the mean score at people's first and at their latest response that scored it.

    `people` is each person's responses' scores, oldest first. Items nobody scored are left
    out. Two people, anxiety 8 then 4, and 6 (once): first mean 7, latest mean 5.
    """
    firsts: dict[str, list[float]] = defaultdict(list)
    latests: dict[str, list[float]] = defaultdict(list)
    for responses in people:
        for item in items:
            scored = [s[item.key] for s in responses if _score(s.get(item.key)) is not None]
            if scored:
                firsts[item.key].append(float(scored[0]))
                latests[item.key].append(float(scored[-1]))
    return [
        ItemMean(
            item=item,
            first_mean=sum(firsts[item.key]) / len(firsts[item.key]),
            latest_mean=sum(latests[item.key]) / len(latests[item.key]),
            people=len(firsts[item.key]),
        )
        for item in items
        if firsts[item.key]
    ]


@dataclass
class CaseloadProgress:
    participants: list[Participant]  # whose records the figures use (for the list audit)
    needs: list[NeedMean]
    assessed: int
    reassessed: int
    measure_title: str = ""
    measure_credit: str = ""
    measures: list[ItemMean] = field(default_factory=list)
    measured: int = 0


def caseload_progress(user: AnyUser, *, measure_key: str = CASELOAD_MEASURE) -> CaseloadProgress:
    """Means over the participants whose support records the user may read. The same few
    queries whatever the size of the caseload, and no names."""
    visible = support_participants_for(user)
    rows = (
        PathwayAssessment.objects.filter(assessment__participant__in=visible)
        .order_by(*_HISTORY_ORDER)
        .values(*_HISTORY_FIELDS)
    )
    per_person: dict[int, list[Mapping[str, Any]]] = defaultdict(list)
    for row in rows:
        per_person[row["assessment__participant_id"]].append(row)
    distances = {pid: distance_travelled(_history(found)) for pid, found in per_person.items()}
    reassessed = sum(
        1 for found in per_person.values() if len({r["assessment_id"] for r in found}) > 1
    )
    progress = CaseloadProgress(
        participants=[],
        needs=caseload_need_means(distances.values()),
        assessed=len(per_person),
        reassessed=reassessed,
    )
    ids = set(per_person)
    instrument = _definition_instrument(measure_key)
    if instrument is not None:
        scores: dict[int, list[Mapping[str, Any]]] = defaultdict(list)
        for participant_id, values in (
            MeasureResponse.objects.filter(participant__in=visible, instrument__key=measure_key)
            .order_by("participant_id", "completed_on", "id")
            .values_list("participant_id", "scores")
        ):
            scores[participant_id].append(values)
        progress.measure_title = instrument.title
        progress.measure_credit = instrument.credit
        progress.measures = caseload_item_means(measure_items(instrument), scores.values())
        progress.measured = len(scores)
        ids |= set(scores)
    progress.participants = list(Participant.objects.filter(pk__in=ids).only("pk", "uuid"))
    return progress
