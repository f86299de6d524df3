"""Proven reoffending of the programme's own participants: index events from their legal
bases, an offences file linked by pseudonym (or by PNC number, programme managers only), the
hand-computed measures, what is left out and counted, errors naming the participant or row,
and what is kept and audited (never who)."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from conftest import World, make_participant
from desist.audit.models import AuditEvent
from desist.evaluation.constants import IndexSource, LinkedBy, RunStatus
from desist.evaluation.models import ReoffendingRun
from desist.evaluation.services import reoffending_run_create, reoffending_run_execute
from desist.people.constants import LegalBasisKind, Sex
from desist.people.identifiers import pnc_check_letter
from desist.people.models import LegalBasis, Participant
from desist_analytics import ReoffendingOptions

NOW = dt.datetime(2025, 6, 15, 11, 0, tzinfo=dt.UTC)
OPTIONS = ReoffendingOptions(
    cohort_start=dt.date(2020, 1, 1),
    cohort_end=dt.date(2020, 12, 31),
    extract_date=dt.date(2022, 6, 30),
    by=("sex", "index-disposal"),
)
HEADER = "person_id,offence_date,disposal_date,disposal_type,is_breach\n"


@pytest.fixture(autouse=True)
def _frozen(time_machine: Any) -> None:
    time_machine.move_to(NOW, tick=False)


def pnc(serial: str, year: str = "2012") -> str:
    return f"{year}/{serial}{pnc_check_letter(year, serial)}"


def basis(person: Participant, kind: str, start: dt.date, end: dt.date | None = None) -> LegalBasis:
    return LegalBasis.objects.create(participant=person, kind=kind, start_date=start, end_date=end)


def person(world: World, reference: str, sex: str, **extra: Any) -> Participant:
    return make_participant(
        reference=reference,
        family_name=f"Person-{reference}",
        organisation=world.probation_london,
        region=world.london,
        sex=sex,
        **extra,
    )


@pytest.fixture
def cohort(world: World) -> dict[str, Participant]:
    """Born 1990-05-17 (make_participant's date of birth), each with the legal bases named."""
    people = {
        # Licence from 2020-02-01: released from custody that day.
        "released": world.case,
        # Community order from 2020-03-10: a non-custodial court disposal.
        "community": world.other_case,
        # Custodial sentence 2015-01-01 to 2020-06-30: released on 2020-06-30.
        "served": person(world, "CASE-3", Sex.FEMALE, pnc_number=pnc("0000003")),
        # Custodial sentence still being served: no index event.
        "inside": person(world, "CASE-4", Sex.MALE),
        # A TPIM notice is not a disposal of a court: no index event.
        "tpim": person(world, "CASE-5", Sex.MALE),
    }
    Participant.objects.filter(pk__in=[world.case.pk, world.other_case.pk]).update(sex=Sex.MALE)
    Participant.objects.filter(pk=world.case.pk).update(pnc_number=pnc("0000001"))
    basis(people["released"], LegalBasisKind.LICENCE, dt.date(2020, 2, 1), dt.date(2023, 2, 1))
    basis(people["community"], LegalBasisKind.COMMUNITY_ORDER, dt.date(2020, 3, 10))
    basis(
        people["served"],
        LegalBasisKind.CUSTODIAL_SENTENCE,
        dt.date(2015, 1, 1),
        dt.date(2020, 6, 30),
    )
    basis(people["inside"], LegalBasisKind.CUSTODIAL_SENTENCE, dt.date(2019, 1, 1))
    basis(people["tpim"], LegalBasisKind.TPIM_NOTICE, dt.date(2020, 1, 1))
    for key, participant in people.items():
        participant.refresh_from_db()
        people[key] = participant
    return people


def offences_by_pseudonym(people: dict[str, Participant]) -> str:
    p = {key: participant.pseudonym for key, participant in people.items()}
    return HEADER + (
        # Released 2020-02-01; offence 60 days later (29 of February, 31 of March), convicted.
        f"{p['released']},2020-04-01,2020-06-01,conviction,false\n"
        # Before the community order: not counted. Written in lower case with spaces.
        f"  {p['community'].lower()} ,2020-01-05,2020-02-01,conviction,false\n"
        # A penalty notice: left out by default.
        f"{p['served']},2020-08-01,2020-08-01,penalty_notice,false\n"
        # Linked, but the person has no index event.
        f"{p['inside']},2020-05-01,2020-07-01,conviction,false\n"
        # Nobody on the programme.
        "PNOTAPERSON9,2020-05-01,2020-07-01,conviction,false\n"
    )


def upload(name: str, content: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content.encode(), content_type="text/csv")


def create(
    world: World,
    offences: str,
    *,
    persona: str = "analyst",
    linked_by: str = LinkedBy.PSEUDONYM,
    options: ReoffendingOptions = OPTIONS,
    index_events_file: SimpleUploadedFile | None = None,
) -> ReoffendingRun:
    return reoffending_run_create(
        actor=world.personas[persona],
        index_events_file=index_events_file,
        offences_file=upload("linked offences.csv", offences),
        options=options,
        index_source=IndexSource.PARTICIPANTS,
        linked_by=linked_by,
    )


def executed(run: ReoffendingRun) -> ReoffendingRun:
    reoffending_run_execute(run_id=run.pk)
    return ReoffendingRun.objects.get(pk=run.pk)


def test_a_run_on_the_participants_gives_the_hand_computed_measures(
    world: World, cohort: dict[str, Participant]
) -> None:
    run = create(world, offences_by_pseudonym(cohort))
    assert run.index_events_name == "" and bytes(run.index_events_data) == b""

    run = executed(run)

    result = run.result
    assert run.status == RunStatus.DONE, run.error
    # In the cohort: released, community and served (inside and tpim have no index event).
    assert result["cohort_size"] == 3
    assert result["reoffenders"] == 1 and result["reoffences"] == 1
    assert result["binary_rate"] == pytest.approx(1 / 3)
    assert result["mean_days_to_first"] == 60.0
    by = {
        (row["by"], row["value"]): (row["cohort_size"], row["reoffenders"])
        for row in result["breakdowns"]
    }
    assert by[("sex", "Female")] == (1, 0) and by[("sex", "Male")] == (2, 1)
    assert by[("index-disposal", "custody_release")] == (2, 1)
    assert by[("index-disposal", "court_noncustodial")] == (1, 0)
    # Five rows: four are participants' (whatever the case and spaces), one is nobody's.
    assert result["linkage"] == {
        "participants": 3,
        "offence_rows": 5,
        "linked": 4,
        "unlinked": 1,
        "ambiguous": 0,
    }


def test_the_first_index_event_in_the_cohort_period_counts(
    world: World, cohort: dict[str, Participant]
) -> None:
    # A licence before the cohort and a community order inside it: the order is the index
    # event, so the offence of 2020-04-01 (before 2020-05-01) does not count.
    released = cohort["released"]
    LegalBasis.objects.filter(participant=released).update(start_date=dt.date(2019, 6, 1))
    basis(released, LegalBasisKind.COMMUNITY_ORDER, dt.date(2020, 5, 1))

    result = executed(create(world, offences_by_pseudonym(cohort))).result

    assert result["cohort_size"] == 3 and result["reoffenders"] == 0


def test_programme_managers_can_link_by_pnc_number_and_shared_numbers_are_left_out(
    world: World, cohort: dict[str, Participant]
) -> None:
    # "2012/1C"-style short serials are the same number as the zero-padded one.
    offences = HEADER + (
        f"{pnc('0000001').replace('/000000', '/')},2020-04-01,2020-06-01,conviction,0\n"
        f"{pnc('0000003').lower()},2020-08-01,2020-09-01,caution,0\n"
        f"{pnc('0000007')},2020-08-01,2020-09-01,caution,0\n"
    )
    # Two records carrying the same PNC number: suspected duplicates, not guessed between.
    Participant.objects.filter(pk=cohort["inside"].pk).update(pnc_number=pnc("0000007"))
    Participant.objects.filter(pk=cohort["tpim"].pk).update(pnc_number=pnc("0000007"))

    run = executed(create(world, offences, persona="programme_manager", linked_by="pnc_number"))

    assert run.status == RunStatus.DONE, run.error
    # released (conviction, 60 days) and served (caution 32 days after release) reoffend.
    assert run.result["reoffenders"] == 2
    assert run.result["linkage"] == {
        "participants": 3,
        "offence_rows": 3,
        "linked": 2,
        "unlinked": 0,
        "ambiguous": 1,
    }
    assert pnc("0000001") not in json.dumps(run.result)


def test_analysts_cannot_link_by_pnc_number(world: World, cohort: dict[str, Participant]) -> None:
    with pytest.raises(ValidationError) as raised:
        create(world, offences_by_pseudonym(cohort), linked_by="pnc_number")

    assert "Only programme managers can link offences by PNC number" in str(
        raised.value.message_dict["linked_by"]
    )
    assert not ReoffendingRun.objects.exists()


def test_breakdowns_the_records_cannot_give_are_refused(
    world: World, cohort: dict[str, Participant]
) -> None:
    options = ReoffendingOptions(
        cohort_start=dt.date(2020, 1, 1),
        cohort_end=dt.date(2020, 12, 31),
        extract_date=dt.date(2022, 6, 30),
        by=("offence-group", "sex"),
    )
    with pytest.raises(ValidationError) as raised:
        create(world, offences_by_pseudonym(cohort), options=options)

    assert "hold no index offence group" in str(raised.value.message_dict["by"])


def test_an_index_events_file_is_refused_for_a_run_on_the_participants(
    world: World, cohort: dict[str, Participant]
) -> None:
    with pytest.raises(ValidationError) as raised:
        create(
            world,
            offences_by_pseudonym(cohort),
            index_events_file=upload("index.csv", "person_id\n1\n"),
        )

    assert "Remove the index events file" in str(raised.value.message_dict["index_events_file"])


def test_an_offence_before_the_participants_birth_names_the_row(
    world: World, cohort: dict[str, Participant]
) -> None:
    pseudonym = cohort["served"].pseudonym
    offences = offences_by_pseudonym(cohort) + f"{pseudonym},1980-01-01,2020-01-01,caution,0\n"

    run = executed(create(world, offences))

    assert run.status == RunStatus.FAILED
    assert run.error == (
        "linked_offences.csv, row 7, column offence_date: offence date 1980-01-01 is before the "
        f"date of birth 1990-05-17 of participant {pseudonym}"
    )


def test_a_legal_basis_that_cannot_be_an_index_event_names_the_participant(
    world: World, cohort: dict[str, Participant]
) -> None:
    LegalBasis.objects.filter(participant=cohort["community"]).update(
        start_date=dt.date(1995, 1, 1)
    )

    run = executed(create(world, offences_by_pseudonym(cohort)))

    assert run.status == RunStatus.FAILED
    assert run.error.startswith(
        f"the programme's participants: participant {cohort['community'].pseudonym}, "
        "community or suspended sentence order of 1995-01-01: the person was 4 on the event "
        "date 1995-01-01"
    )
    assert "Person-" not in run.error and "Marker" not in run.error


def test_nothing_kept_or_audited_names_a_participant(
    world: World, cohort: dict[str, Participant]
) -> None:
    run = executed(create(world, offences_by_pseudonym(cohort)))

    stored = json.dumps(run.result) + json.dumps(run.options)
    events = AuditEvent.objects.filter(entity="evaluation.reoffendingrun", entity_id=str(run.pk))
    audited = json.dumps([event.changes for event in events])
    for participant in cohort.values():
        for value in (participant.pseudonym, participant.reference, str(participant.pk)):
            assert f'"{value}"' not in stored and f'"{value}"' not in audited
    done = events.get(action="update")
    assert done.changes["participants_read"] == 3
    created = events.get(action="create")
    assert created.changes["index_source"] == "participants"
    assert created.changes["linked_by"] == "pseudonym"


def test_the_form_starts_a_run_on_the_participants_and_shows_the_linkage(
    world: World, cohort: dict[str, Participant], django_capture_on_commit_callbacks: Any
) -> None:
    client = world.client_for("analyst")
    form = {
        "index_source": "participants",
        "linked_by": "pseudonym",
        "cohort_start": "2020-01-01",
        "cohort_end": "2020-12-31",
        "extract_date": "2022-06-30",
        "jurisdiction": "ew",
        "follow_up_months": "12",
        "waiting_months": "6",
        "by": ["sex"],
        "offences_file": upload("offences.csv", offences_by_pseudonym(cohort)),
    }

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("evaluation:run_new"), form)

    run = ReoffendingRun.objects.get()
    assert response.status_code == 302, response.content.decode()
    assert run.status == RunStatus.DONE and run.result["cohort_size"] == 3
    body = client.get(response["Location"]).content.decode()
    assert (
        "The programme's participants, from their legal bases when the run started: "
        "3 with an index event" in body
    )
    assert "offences.csv, linked by participant pseudonym" in body
    assert "4 of 5 offence records linked to a participant; 1 matched no participant" in body


def test_the_form_offers_pnc_linking_only_to_programme_managers(world: World) -> None:
    page = reverse("evaluation:run_new")
    analyst = world.client_for("analyst").get(page).content.decode()
    manager = world.client_for("programme_manager").get(page).content.decode()

    assert 'value="pnc_number"' not in analyst and 'value="pseudonym"' in analyst
    assert 'value="pnc_number"' in manager
