"""`desist demo-data`: deterministic, valid, complete, and careful with an existing database."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from io import StringIO

import pytest
import time_machine
from django.contrib.auth.password_validation import validate_password
from django.core.management import call_command
from django.core.management.base import CommandError

from desist.accounts.access import participants_for, pseudonymised_participants_for
from desist.accounts.constants import OrganisationKind, Role
from desist.accounts.models import Organisation, User
from desist.audit.models import AuditEvent
from desist.demo import DEMO_PASSWORD, NAMED_LOGINS, PRISON_SERVICE, demo_data_create
from desist.people.constants import LegalBasisKind, Status, Strand
from desist.people.identifiers import crn_error, pnc_error, prison_number_error
from desist.people.models import LegalBasis, Participant, StatusChange

N = 40
SEED = 7
TODAY = dt.date(2026, 3, 14)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def frozen_today() -> Iterator[None]:
    # Demo dates are laid out backwards from today; pin today so runs compare exactly.
    with time_machine.travel(dt.datetime(2026, 3, 14, 12, 0, tzinfo=dt.UTC), tick=True):
        yield


def run(*args: str) -> str:
    out = StringIO()
    call_command("demo_data", "--participants", str(N), "--seed", str(SEED), *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def demo() -> str:
    return run()


def snapshot() -> list[tuple[object, ...]]:
    return list(
        Participant.objects.order_by("reference").values_list(
            "reference",
            "given_name",
            "family_name",
            "date_of_birth",
            "pnc_number",
            "uuid",
            "pseudonym",
            "strand",
            "status",
        )
    )


def test_same_seed_gives_the_same_participants(demo: str) -> None:
    first = snapshot()
    run("--replace")
    assert snapshot() == first
    assert len(first) == N


def test_another_seed_gives_other_participants(demo: str) -> None:
    first = snapshot()
    out = StringIO()
    call_command("demo_data", participants=N, seed=SEED + 1, replace=True, stdout=out)
    assert [row[1:4] for row in snapshot()] != [row[1:4] for row in first]


def test_creates_the_asked_number_of_participants_and_their_records(demo: str) -> None:
    assert Participant.objects.count() == N
    assert LegalBasis.objects.count() == N
    assert not Participant.objects.filter(status_history__isnull=True).exists()
    assert Participant.objects.filter(strand=Strand.PROBATION_LICENCE).count() > N // 3
    references = list(Participant.objects.order_by("reference").values_list("reference", flat=True))
    assert references[:2] == ["DDP-000001", "DDP-000002"]


def test_latest_status_change_matches_the_current_status(demo: str) -> None:
    for participant in Participant.objects.prefetch_related("status_history"):
        history = list(participant.status_history.all())  # newest first
        assert history[0].status == participant.status
        assert history[-1].status == Status.REFERRED
        assert history[-1].effective_date == participant.referral_date
        assert all(change.effective_date <= TODAY for change in history)


def test_every_identifier_is_valid_and_unique(demo: str) -> None:
    rows = list(Participant.objects.values_list("pnc_number", "prison_number", "probation_crn"))
    pncs = [pnc for pnc, _, _ in rows]
    assert all(pnc_error(pnc) is None for pnc in pncs)
    assert len(set(pncs)) == len(pncs)
    prison_numbers = [number for _, number, _ in rows if number]
    assert prison_numbers
    assert all(prison_number_error(number) is None for number in prison_numbers)
    assert len(set(prison_numbers)) == len(prison_numbers)
    crns = [crn for _, _, crn in rows if crn]
    assert crns
    assert all(crn_error(crn) is None for crn in crns)
    assert len(set(crns)) == len(crns)


def test_legal_basis_follows_the_strand(demo: str) -> None:
    expected = {
        Strand.PROBATION_LICENCE: (LegalBasisKind.LICENCE, True),
        Strand.TPIM: (LegalBasisKind.TPIM_NOTICE, True),
        Strand.TEO: (LegalBasisKind.TEO, True),
        Strand.CUSTODY: (LegalBasisKind.CUSTODIAL_SENTENCE, False),
        Strand.OTHER: (LegalBasisKind.VOLUNTARY, False),
    }
    for basis in LegalBasis.objects.select_related("participant"):
        strand = basis.participant.strand
        assert (basis.kind, basis.attendance_mandatory) == expected[Strand(strand)]
        assert basis.end_date is None or basis.end_date >= basis.start_date


def test_custody_cases_are_held_by_the_prison_service_in_a_named_prison(demo: str) -> None:
    custody = Participant.objects.filter(strand=Strand.CUSTODY).select_related(
        "supervising_organisation"
    )
    assert custody.exists()
    for participant in custody:
        assert participant.supervising_organisation.name == PRISON_SERVICE
        assert participant.custody_establishment.startswith("HMP ")
        assert participant.expected_release_date is not None


def test_community_cases_are_supervised_by_probation_for_their_region(demo: str) -> None:
    community = Participant.objects.exclude(strand=Strand.CUSTODY).select_related(
        "supervising_organisation", "region"
    )
    for participant in community:
        organisation = participant.supervising_organisation
        assert organisation.kind == OrganisationKind.PROBATION
        assert organisation.regions.filter(pk=participant.region_id).exists()


def test_each_role_has_a_demo_sign_in(demo: str) -> None:
    for login in NAMED_LOGINS:
        user = User.objects.get(username=login.username)
        assert login.role in user.roles, login.username
        assert user.organisation is not None
        assert user.organisation.name == login.organisation
        assert user.check_password(DEMO_PASSWORD)
    admin = User.objects.get(username="admin")
    assert admin.is_staff
    assert admin.is_superuser
    assert {login.role for login in NAMED_LOGINS} == set(Role.values)


def test_demo_password_passes_the_password_validators() -> None:
    validate_password(DEMO_PASSWORD)


def test_supervising_officer_sees_their_organisations_cases(demo: str) -> None:
    officer = User.objects.get(username="officer.london")
    visible = participants_for(officer)
    assert visible.exists()
    assert visible.filter(supervising_organisation=officer.organisation).exists()
    assert not visible.filter(
        supervising_organisation__name="Probation Service North West"
    ).exists()


def test_cases_are_shared_across_officers(demo: str) -> None:
    officers = set(
        Participant.objects.exclude(supervising_officer=None).values_list(
            "supervising_officer", flat=True
        )
    )
    assert len(officers) > 3


def test_police_liaison_sees_their_region(demo: str) -> None:
    police = User.objects.get(username="police.london")
    visible = participants_for(police)
    assert visible.exists()
    assert set(visible.values_list("region__code", flat=True)) == {"london"}
    assert visible.count() == Participant.objects.filter(region__code="london").count()


def test_programme_manager_sees_everyone_and_analyst_sees_no_names(demo: str) -> None:
    manager = User.objects.get(username="programme.manager")
    analyst = User.objects.get(username="analyst")
    assert participants_for(manager).count() == N
    assert not participants_for(analyst).exists()
    assert pseudonymised_participants_for(analyst).count() == N


def test_refuses_a_database_that_already_has_participants(demo: str) -> None:
    before = snapshot()
    with pytest.raises(CommandError, match="--replace"):
        run()
    assert snapshot() == before


def test_replace_keeps_other_organisations(demo: str) -> None:
    other = Organisation.objects.create(name="Another Team", kind=OrganisationKind.PROVIDER)
    run("--replace")
    assert Organisation.objects.filter(pk=other.pk).exists()
    assert Organisation.objects.filter(name=PRISON_SERVICE).count() == 1


def test_writes_one_audit_event_with_counts_and_no_personal_data(demo: str) -> None:
    events = AuditEvent.objects.filter(entity="demo-data")
    assert events.count() == 1
    event = events.get()
    assert event.action == "import"
    assert event.actor_id is None
    assert event.changes["seed"] == SEED
    assert event.changes["created"]["participants"] == N
    text = json.dumps(event.changes)
    for given, family in Participant.objects.values_list("given_name", "family_name"):
        assert family not in text
        assert given not in text


def test_prints_the_sign_in_table(demo: str) -> None:
    for login in NAMED_LOGINS:
        assert login.username in demo
    assert DEMO_PASSWORD in demo
    assert "Open http://127.0.0.1:8000/ and sign in with one of the logins above." in demo


def test_no_participants_still_gives_organisations_and_sign_ins() -> None:
    result = demo_data_create(participants=0, seed=1, today=TODAY)
    assert result.counts["participants"] == 0
    assert StatusChange.objects.count() == 0
    assert User.objects.filter(username="officer.london").exists()


def test_refuses_when_a_demo_username_is_taken() -> None:
    User.objects.create_user(username="admin", password="not-the-demo-Password-1")
    with pytest.raises(CommandError, match="--replace"):
        run()
    assert not Participant.objects.exists()
