"""Distance travelled and caseload means, on tiny data worked out by hand; who each caseload
counts; and the progress pages (one person's charts, the caseload chart without names)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from conftest import World, make_participant
from desist.accounts.access import support_participants_for
from desist.audit.constants import Action
from desist.audit.models import AuditEvent
from desist.support.selectors_assessments import (
    MeasureItem,
    PathwayDistance,
    caseload_item_means,
    caseload_need_means,
    caseload_progress,
    distance_travelled,
)
from desist.support.tests.factories_assessments import (
    NOW,
    OUTSIDERS,
    READERS,
    allocate,
    assess,
    measure,
)

JAN = dt.date(2026, 1, 5)
FEB = dt.date(2026, 2, 2)
MAR = dt.date(2026, 3, 2)


@pytest.fixture(autouse=True)
def _frozen(time_machine: Any) -> None:
    time_machine.move_to(NOW, tick=False)


# Distance travelled (pure) --------------------------------------------------------------------


def test_distance_is_latest_need_minus_first_per_pathway() -> None:
    distances = distance_travelled(
        [
            (JAN, {"accommodation": "high", "finance": "medium"}),
            (FEB, {"accommodation": "medium", "finance": "medium"}),
            (MAR, {"accommodation": "low", "finance": "high"}),
        ]
    )
    # accommodation: high (3) at the first, low (1) at the latest: -2, need fell.
    # finance: medium (2), then high (3): +1, need rose.
    assert [(d.pathway, d.first_score, d.latest_score, d.change) for d in distances] == [
        ("accommodation", 3, 1, -2),
        ("finance", 2, 3, 1),
    ]
    assert [(d.first_on, d.latest_on, d.assessments) for d in distances] == [
        (JAN, MAR, 3),
        (JAN, MAR, 3),
    ]
    assert [d.direction for d in distances] == ["Need fell by 2", "Need rose by 1"]


def test_a_pathway_first_assessed_later_starts_from_its_own_first_assessment() -> None:
    distances = distance_travelled(
        [(JAN, {"finance": "low"}), (FEB, {"finance": "low", "identity": "high"})]
    )
    identity = distances[-1]
    # Only assessed once (in February): first and latest are the same, no change.
    assert (identity.pathway, identity.first_on, identity.change) == ("identity", FEB, 0)
    assert identity.direction == "Assessed once"
    assert distances[0].direction == "No change"


def test_pathways_come_in_the_order_of_the_pathway_list() -> None:
    distances = distance_travelled([(JAN, {"identity": "low", "accommodation": "none"})])
    assert [d.pathway for d in distances] == ["accommodation", "identity"]


def test_no_assessments_travel_no_distance() -> None:
    assert distance_travelled([]) == []


def _distance(pathway: str, first: str, latest: str) -> PathwayDistance:
    return PathwayDistance(pathway, JAN, first, MAR, latest, 2)


def test_caseload_need_means_on_hand_worked_values() -> None:
    means = caseload_need_means(
        [
            [_distance("finance", "high", "low"), _distance("identity", "medium", "none")],
            [_distance("finance", "medium", "medium")],
            [_distance("finance", "low", "none")],
        ]
    )
    # finance: first (3 + 2 + 1) / 3 = 2.0, latest (1 + 2 + 0) / 3 = 1.0.
    # identity: one person, 2 then 0.
    assert [(m.pathway, m.first_mean, m.latest_mean, m.people) for m in means] == [
        ("finance", 2.0, 1.0, 3),
        ("identity", 2.0, 0.0, 1),
    ]
    assert means[0].change == -1.0


ITEMS = [
    MeasureItem("happiness", "Happiness", "How happy?", 0, 10, "higher"),
    MeasureItem("anxiety", "Anxiety", "How anxious?", 0, 10, "lower"),
]


def test_caseload_item_means_on_hand_worked_values() -> None:
    means = caseload_item_means(
        ITEMS,
        [
            # anxiety 8 then 4; happiness only in the second response (5).
            [{"anxiety": 8}, {"anxiety": 4, "happiness": 5}],
            # anxiety 6 once: the same at first and latest.
            [{"anxiety": 6, "happiness": 9}],
        ],
    )
    # anxiety: first (8 + 6) / 2 = 7, latest (4 + 6) / 2 = 5.
    # happiness: first (5 + 9) / 2 = 7, latest (5 + 9) / 2 = 7.
    assert [(m.item.key, m.first_mean, m.latest_mean, m.people) for m in means] == [
        ("happiness", 7.0, 7.0, 2),
        ("anxiety", 7.0, 5.0, 2),
    ]


def test_an_item_nobody_scored_is_left_out() -> None:
    assert [m.item.key for m in caseload_item_means(ITEMS, [[{"anxiety": 3}]])] == ["anxiety"]


# Who a caseload counts ------------------------------------------------------------------------


@pytest.fixture
def caseload(world: World) -> World:
    """world.case (London, Probation London) allocated to the practitioner; a second London
    case with no allocation; world.other_case in the North West."""
    allocate(world)
    world.objects["second"] = make_participant(
        reference="CASE-3",
        family_name="Second-Marker",
        organisation=world.probation_london,
        region=world.london,
    )
    return world


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("programme_manager", {"CASE-1", "CASE-2", "CASE-3"}),
        ("supervising_officer", {"CASE-1", "CASE-3"}),
        ("officer_other_area", {"CASE-2"}),
        ("practitioner", {"CASE-1"}),
        ("other_provider_practitioner", set()),
        ("police_london", set()),
        ("analyst", set()),
    ],
)
def test_support_caseloads_follow_support_relationships(
    caseload: World, persona: str, expected: set[str]
) -> None:
    rows = support_participants_for(caseload.personas[persona])
    assert set(rows.values_list("reference", flat=True)) == expected


def test_an_involved_agency_counts_the_cases_it_is_involved_in(caseload: World) -> None:
    pom = caseload.personas["prison_offender_manager"]
    assert not support_participants_for(pom).exists()
    caseload.case.agencies.add(pom.organisation)
    assert list(support_participants_for(pom).values_list("reference", flat=True)) == ["CASE-1"]


def _caseload_records(world: World) -> None:
    pm = world.personas["programme_manager"]
    second = world.objects["second"]
    # CASE-1: accommodation high then low; finance medium then medium.
    assess(pm, world.case, on=JAN, levels={"accommodation": "high", "finance": "medium"})
    assess(pm, world.case, on=MAR, levels={"accommodation": "low", "finance": "medium"})
    # CASE-3: assessed once, accommodation medium, finance none.
    assess(pm, second, on=FEB, levels={"accommodation": "medium", "finance": "none"})
    # CASE-2 (North West): accommodation high, once.
    assess(pm, world.other_case, on=FEB, levels={"accommodation": "high"})
    # ONS4: CASE-1 anxiety 9 then 3; CASE-3 anxiety 5 once; CASE-2 anxiety 10 once.
    measure(pm, world.case, on=JAN, anxiety=9, happiness=2)
    measure(pm, world.case, on=MAR, anxiety=3, happiness=8)
    measure(pm, second, on=FEB, anxiety=5, happiness=5)
    measure(pm, world.other_case, on=FEB, anxiety=10, happiness=0)


def test_the_supervising_officers_caseload_means_on_hand_worked_values(caseload: World) -> None:
    _caseload_records(caseload)
    summary = caseload_progress(caseload.personas["supervising_officer"])
    needs = {m.pathway: (m.first_mean, m.latest_mean, m.people) for m in summary.needs}
    # CASE-1 and CASE-3 only. accommodation: first (3 + 2) / 2 = 2.5, latest (1 + 2) / 2 = 1.5.
    # finance: first (2 + 0) / 2 = 1.0, latest (2 + 0) / 2 = 1.0.
    # Every other pathway was assessed "low" (1) each time.
    assert needs["accommodation"] == (2.5, 1.5, 2)
    assert needs["finance"] == (1.0, 1.0, 2)
    assert needs["identity"] == (1.0, 1.0, 2)
    assert (summary.assessed, summary.reassessed, summary.measured) == (2, 1, 2)
    items = {m.item.key: (m.first_mean, m.latest_mean) for m in summary.measures}
    # anxiety: first (9 + 5) / 2 = 7.0, latest (3 + 5) / 2 = 4.0.
    # happiness: first (2 + 5) / 2 = 3.5, latest (8 + 5) / 2 = 6.5.
    assert items["anxiety"] == (7.0, 4.0)
    assert items["happiness"] == (3.5, 6.5)
    assert {p.pk for p in summary.participants} == {caseload.case.pk, caseload.objects["second"].pk}


def test_the_practitioners_caseload_is_their_allocated_person(caseload: World) -> None:
    _caseload_records(caseload)
    summary = caseload_progress(caseload.personas["practitioner"])
    needs = {m.pathway: (m.first_mean, m.latest_mean, m.people) for m in summary.needs}
    assert needs["accommodation"] == (3.0, 1.0, 1)
    assert [p.pk for p in summary.participants] == [caseload.case.pk]


def test_the_programme_managers_caseload_is_everyone(caseload: World) -> None:
    _caseload_records(caseload)
    summary = caseload_progress(caseload.personas["programme_manager"])
    accommodation = summary.needs[0]
    # first (3 + 2 + 3) / 3, latest (1 + 2 + 3) / 3.
    assert accommodation.pathway == "accommodation"
    assert (accommodation.first_mean, accommodation.latest_mean) == (8 / 3, 2.0)
    assert summary.assessed == 3


def test_the_caseload_figures_take_the_same_queries_for_one_person_or_many(
    caseload: World,
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    pm = caseload.personas["programme_manager"]
    assess(pm, caseload.case)
    measure(pm, caseload.case)
    with CaptureQueriesContext(connection) as one:
        caseload_progress(pm)
    _caseload_records(caseload)
    with CaptureQueriesContext(connection) as many:
        caseload_progress(pm)
    assert len(many.captured_queries) == len(one.captured_queries)


# Pages ----------------------------------------------------------------------------------------


def _client(world: World, persona: str) -> Client:
    client = world.client_for(persona)
    session = client.session
    session["access_purposes"] = {str(world.case.uuid): "case_management"}
    session.save()
    return client


def _progress_url(world: World) -> str:
    return reverse("support:progress", kwargs={"participant_uuid": world.case.uuid})


CASELOAD_URL = "/support/caseload-progress/"


@pytest.mark.parametrize("persona", READERS)
def test_one_persons_progress_page_draws_need_and_wellbeing_charts(
    caseload: World, persona: str
) -> None:
    _caseload_records(caseload)
    response = _client(caseload, persona).get(_progress_url(caseload))
    assert response.status_code == 200
    page = response.content.decode()
    assert page.count('<svg role="img"') == 2
    assert 'aria-labelledby="needs-title"' in page
    assert 'aria-labelledby="measure-ons4-title"' in page
    assert "Latest assessment" in page and "Anxiety (lower is better)" in page
    assert "Need fell by 2" in page  # accommodation, in the table beside the chart


@pytest.mark.parametrize("persona", OUTSIDERS)
def test_the_progress_page_is_not_found_for_police_and_outsiders(
    caseload: World, persona: str
) -> None:
    assert _client(caseload, persona).get(_progress_url(caseload)).status_code == 404


def test_a_progress_page_with_no_records_says_so(caseload: World) -> None:
    page = _client(caseload, "practitioner").get(_progress_url(caseload)).content.decode()
    assert "No needs and strengths assessment has been recorded yet." in page
    assert "<svg" not in page


def test_the_caseload_page_charts_means_without_names_and_audits_the_list(
    caseload: World,
) -> None:
    _caseload_records(caseload)
    response = _client(caseload, "supervising_officer").get(CASELOAD_URL)
    assert response.status_code == 200
    page = response.content.decode()
    assert page.count('<svg role="img"') == 2
    assert "First assessment (mean)" in page
    assert "2.50" in page and "1.50" in page  # accommodation, in the table
    for name in ("Zebedee-Marker", "Second-Marker", "Quillfeather-Marker", "CASE-1", "CASE-3"):
        assert name not in page
    event = AuditEvent.objects.get(action=Action.LIST, purpose="support:caseload-progress")
    assert sorted(event.changes["shown"]) == sorted(
        [str(caseload.case.uuid), str(caseload.objects["second"].uuid)]
    )


@pytest.mark.parametrize("persona", ["police_london", "analyst", "administrator", "no_roles"])
def test_the_caseload_page_is_not_found_without_a_support_role(
    caseload: World, persona: str
) -> None:
    assert _client(caseload, persona).get(CASELOAD_URL).status_code == 404


def test_an_empty_caseload_page_says_so(caseload: World) -> None:
    response = _client(caseload, "other_provider_practitioner").get(CASELOAD_URL)
    assert response.status_code == 200
    assert "No needs and strengths assessments have been recorded" in response.content.decode()
    assert not AuditEvent.objects.filter(action=Action.LIST).exists()
