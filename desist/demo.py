"""Demo data: a realistic, made-up programme to click through, test against and benchmark.

Deterministic: the same number of participants, seed and day give the same rows (names, dates
of birth, identifiers, uuids, pseudonyms). Dates are laid out backwards from `today` so that
licences, orders and release dates stay current whenever the demo is built.

Built for size: 100,000 participants and their related rows are written with bulk inserts in
one transaction, with no query per participant.
"""

from __future__ import annotations

import base64
import datetime as dt
import math
import random
import uuid
from bisect import bisect
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from itertools import accumulate, islice
from typing import Any, TypeVar

from django.contrib.auth.hashers import make_password
from django.db import connection, transaction
from django.db.models import (
    DateField,
    DateTimeField,
    Field,
    Model,
    ProtectedError,
    Q,
    RestrictedError,
    UUIDField,
)
from django.utils import timezone
from faker import Faker

from desist.accounts.constants import REGIONS, OrganisationKind, Role
from desist.accounts.models import Organisation, Region, RoleGrant, User
from desist.audit.constants import Action
from desist.audit.services import audit_record
from desist.people.constants import (
    LegalBasisKind,
    MappaCategory,
    MappaLevel,
    Sex,
    Status,
    Strand,
)
from desist.people.identifiers import pnc_check_letter
from desist.people.models import Alias, LegalBasis, Participant, StatusChange

# Passes the password validators (12+ characters, not common, not numeric, unlike any username).
DEMO_PASSWORD = "demo-Desist-2026!"  # noqa: S105 - printed for demo sign-in on purpose
BATCH_SIZE = 2000
T = TypeVar("T")
ALL_REGIONS = tuple(code for code, _ in REGIONS)

PROGRAMME_TEAM = "Desistance and Disengagement Programme Team"
PRISON_SERVICE = "HMPPS Long Term High Security Estate"
PROVIDER_SOUTH = "Pathways Mentoring CIC"
PROVIDER_NORTH = "Northern Bridges Intervention Services"

PROBATION_BY_REGION: dict[str, str] = {
    "london": "Probation Service London",
    "north_west": "Probation Service North West",
    "greater_manchester": "Probation Service Greater Manchester",
    "west_midlands": "Probation Service West Midlands",
    "north_east": "Probation Service North East",
    "yorkshire_humber": "Probation Service Yorkshire and the Humber",
    "east_midlands": "Probation Service East Midlands",
    "east_of_england": "Probation Service East of England",
    "kent_surrey_sussex": "Probation Service Kent, Surrey and Sussex",
    "south_central": "Probation Service South Central",
    "south_west": "Probation Service South West",
    "wales": "Probation Service Wales",
    "northern_ireland": "Probation Board for Northern Ireland",
}
FALLBACK_PROBATION_REGION = "london"

# Counter Terrorism Policing is organised in regional units, several covering two regions.
POLICE_UNITS: dict[str, tuple[str, ...]] = {
    "Counter Terrorism Policing London": ("london",),
    "Counter Terrorism Policing North West": ("north_west", "greater_manchester"),
    "Counter Terrorism Policing West Midlands": ("west_midlands",),
    "Counter Terrorism Policing North East": ("north_east", "yorkshire_humber"),
    "Counter Terrorism Policing East Midlands": ("east_midlands",),
    "Counter Terrorism Policing Eastern": ("east_of_england",),
    "Counter Terrorism Policing South East": ("kent_surrey_sussex", "south_central"),
    "Counter Terrorism Policing South West": ("south_west",),
    "Counter Terrorism Policing Wales": ("wales",),
    "PSNI Terrorism Investigation Unit": ("northern_ireland",),
}

PROVIDERS: dict[str, tuple[str, ...]] = {
    PROVIDER_SOUTH: (
        "london",
        "kent_surrey_sussex",
        "south_central",
        "south_west",
        "east_of_england",
        "wales",
    ),
    PROVIDER_NORTH: (
        "north_west",
        "greater_manchester",
        "north_east",
        "yorkshire_humber",
        "west_midlands",
        "east_midlands",
        "northern_ireland",
    ),
}


@dataclass(frozen=True)
class DemoLogin:
    username: str
    role: str
    organisation: str
    staff: bool = False


# One named sign-in per role, plus a colleague in another probation area.
NAMED_LOGINS: tuple[DemoLogin, ...] = (
    DemoLogin("programme.manager", Role.PROGRAMME_MANAGER, PROGRAMME_TEAM),
    DemoLogin("officer.london", Role.SUPERVISING_OFFICER, PROBATION_BY_REGION["london"]),
    DemoLogin("officer.northwest", Role.SUPERVISING_OFFICER, PROBATION_BY_REGION["north_west"]),
    DemoLogin("pom.prison", Role.PRISON_OFFENDER_MANAGER, PRISON_SERVICE),
    DemoLogin("police.london", Role.POLICE_LIAISON, "Counter Terrorism Policing London"),
    DemoLogin("practitioner", Role.PRACTITIONER, PROVIDER_SOUTH),
    DemoLogin("practitioner.north", Role.PRACTITIONER, PROVIDER_NORTH),
    DemoLogin("analyst", Role.ANALYST, PROGRAMME_TEAM),
    DemoLogin("admin", Role.ADMINISTRATOR, PROGRAMME_TEAM, staff=True),
)

# Weighted towards the areas with the largest terrorism-related caseloads.
REGION_WEIGHTS: dict[str, float] = {
    "london": 30,
    "north_west": 10,
    "greater_manchester": 8,
    "west_midlands": 14,
    "yorkshire_humber": 8,
    "north_east": 5,
    "east_midlands": 5,
    "east_of_england": 5,
    "kent_surrey_sussex": 4,
    "south_central": 4,
    "south_west": 3,
    "wales": 3,
    "northern_ireland": 1,
}
STRAND_WEIGHTS: dict[str, float] = {
    Strand.PROBATION_LICENCE: 55,
    Strand.CUSTODY: 25,
    Strand.TPIM: 4,
    Strand.TEO: 4,
    Strand.OTHER: 12,
}
# Towns and postcode areas per region, so an address matches the region it is recorded in.
TOWNS: dict[str, tuple[tuple[str, str], ...]] = {
    "london": (("London", "E"), ("London", "N"), ("London", "SE"), ("London", "NW"),
               ("London", "SW"), ("London", "W"), ("Croydon", "CR"), ("Ilford", "IG")),
    "north_west": (("Liverpool", "L"), ("Preston", "PR"), ("Blackburn", "BB"),
                   ("Lancaster", "LA"), ("Carlisle", "CA"), ("Warrington", "WA")),
    "greater_manchester": (("Manchester", "M"), ("Bolton", "BL"), ("Oldham", "OL"),
                           ("Stockport", "SK"), ("Wigan", "WN")),
    "west_midlands": (("Birmingham", "B"), ("Coventry", "CV"), ("Wolverhampton", "WV"),
                      ("Stoke-on-Trent", "ST"), ("Walsall", "WS")),
    "north_east": (("Newcastle upon Tyne", "NE"), ("Sunderland", "SR"),
                   ("Middlesbrough", "TS"), ("Durham", "DH")),
    "yorkshire_humber": (("Leeds", "LS"), ("Bradford", "BD"), ("Sheffield", "S"),
                         ("Hull", "HU"), ("Huddersfield", "HD")),
    "east_midlands": (("Leicester", "LE"), ("Nottingham", "NG"), ("Derby", "DE"),
                      ("Lincoln", "LN")),
    "east_of_england": (("Luton", "LU"), ("Chelmsford", "CM"), ("Norwich", "NR"),
                        ("Peterborough", "PE"), ("Cambridge", "CB")),
    "kent_surrey_sussex": (("Brighton", "BN"), ("Maidstone", "ME"), ("Guildford", "GU"),
                           ("Crawley", "RH")),
    "south_central": (("Reading", "RG"), ("Oxford", "OX"), ("Southampton", "SO"),
                      ("Portsmouth", "PO"), ("Slough", "SL")),
    "south_west": (("Bristol", "BS"), ("Plymouth", "PL"), ("Exeter", "EX"),
                   ("Gloucester", "GL")),
    "wales": (("Cardiff", "CF"), ("Swansea", "SA"), ("Newport", "NP"), ("Wrexham", "LL")),
    "northern_ireland": (("Belfast", "BT"), ("Derry", "BT"), ("Newry", "BT")),
}  # fmt: skip
STREET_KINDS = ("Road", "Street", "Lane", "Avenue", "Close", "Crescent", "Drive", "Grove",
                "Terrace", "Way", "Gardens", "Place", "Walk", "Court")  # fmt: skip
# The Long Term High Security Estate, and women's prisons that hold terrorism-related offenders.
MEN_PRISONS = ("HMP Belmarsh", "HMP Frankland", "HMP Full Sutton", "HMP Whitemoor",
               "HMP Long Lartin", "HMP Woodhill", "HMP Wakefield", "HMP Manchester")  # fmt: skip
WOMEN_PRISONS = ("HMP Bronzefield", "HMP Low Newton", "HMP Send")
EMAIL_DOMAINS = ("example.com", "example.org", "example.net")
LICENCE_YEARS = (2, 3, 4, 5, 5, 7, 8, 10, 15)
PAUSE_REASONS = (
    "Recalled to custody pending review",
    "Admitted to hospital",
    "Change of intervention provider",
    "Participant moved address; transfer in progress",
)
END_REASONS: dict[str, tuple[str, ...]] = {
    Strand.PROBATION_LICENCE: ("Licence period ended", "Intervention completed",
                               "Recalled to custody"),
    Strand.CUSTODY: ("Released; transferred to the probation licence strand",
                     "Intervention completed", "Transferred to another establishment"),
    Strand.TPIM: ("TPIM notice expired", "TPIM notice revoked", "Intervention completed"),
    Strand.TEO: ("Temporary exclusion order expired", "Intervention completed"),
    Strand.OTHER: ("Intervention completed", "Withdrew from voluntary participation"),
}  # fmt: skip
LEGAL_BASIS_FOR_STRAND: dict[str, tuple[str, bool]] = {
    Strand.PROBATION_LICENCE: (LegalBasisKind.LICENCE, True),
    Strand.TPIM: (LegalBasisKind.TPIM_NOTICE, True),
    Strand.TEO: (LegalBasisKind.TEO, True),
    Strand.CUSTODY: (LegalBasisKind.CUSTODIAL_SENTENCE, False),
    Strand.OTHER: (LegalBasisKind.VOLUNTARY, False),
}
# Cases per officer used to size the demo staff of each supervising organisation.
CASES_PER_OFFICER = 60
MAX_EXTRA_STAFF_PER_ORGANISATION = 40

_PSEUDONYM_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
_TO_PSEUDONYM_ALPHABET = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", _PSEUDONYM_ALPHABET)
_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_POSTCODE_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"


# Share of each strand managed under MAPPA category 4 (terrorism).
_TERRORISM_MAPPA_SHARE: dict[str, float] = {
    Strand.PROBATION_LICENCE: 0.9,
    Strand.CUSTODY: 0.9,
    Strand.TPIM: 0.6,
    Strand.TEO: 0.3,
    Strand.OTHER: 0.1,
}
_OTHER_MAPPA_CATEGORIES = [
    c.value for c in (MappaCategory.CAT1, MappaCategory.CAT2, MappaCategory.CAT3)
]
_MAPPA_LEVELS = [MappaLevel.LEVEL1.value, MappaLevel.LEVEL2.value, MappaLevel.LEVEL3.value]
_MAPPA_LEVEL_CUM = [60.0, 90.0, 100.0]


class _Dice:
    """Seeded draws, cheap enough for millions of them.

    random.Random's choice, choices and randrange cost about a microsecond each in Python code;
    scaling one random() float is several times faster and as good for made-up data.
    """

    def __init__(self, seed: int) -> None:
        self._rng = random.Random(seed)  # noqa: S311 - reproducible made-up data, not secrets
        self.random = self._rng.random
        self.bits = self._rng.getrandbits
        self.triangular = self._rng.triangular

    def below(self, n: int) -> int:
        """0 <= result < n."""
        return int(self.random() * n)

    def between(self, low: int, high: int) -> int:
        """low <= result < high."""
        return low + int(self.random() * (high - low))

    def pick(self, items: Sequence[T]) -> T:
        return items[int(self.random() * len(items))]

    def weighted(self, items: Sequence[T], cumulative: Sequence[float]) -> T:
        return items[bisect(cumulative, self.random() * cumulative[-1])]

    def two_letters(self, alphabet: str) -> str:
        size = len(alphabet)
        return alphabet[int(self.random() * size)] + alphabet[int(self.random() * size)]


class DemoDataError(Exception):
    """The demo cannot be built as asked (for example, the database is not empty)."""


@dataclass
class DemoResult:
    seed: int
    counts: dict[str, int]
    deleted: dict[str, int]
    logins: tuple[DemoLogin, ...] = NAMED_LOGINS
    password: str = DEMO_PASSWORD
    extra_staff: int = 0


# Participant columns in the order the plan builds each row.
PARTICIPANT_COLUMNS = (
    "uuid",
    "reference",
    "pseudonym",
    "given_name",
    "family_name",
    "date_of_birth",
    "sex",
    "gender_identity",
    "pnc_number",
    "prison_number",
    "probation_crn",
    "phone",
    "email",
    "address",
    "region",
    "strand",
    "status",
    "referral_date",
    "supervising_organisation",
    "supervising_officer",
    "mappa_category",
    "mappa_level",
    "custody_establishment",
    "expected_release_date",
    "created_at",
    "updated_at",
)
_OFFICER = PARTICIPANT_COLUMNS.index("supervising_officer")
_STATUS = PARTICIPANT_COLUMNS.index("status")
_REFERENCE = PARTICIPANT_COLUMNS.index("reference")
ALIAS_COLUMNS = ("participant", "given_name", "family_name")
LEGAL_BASIS_COLUMNS = (
    "participant",
    "kind",
    "start_date",
    "end_date",
    "attendance_mandatory",
    "notes",
)
STATUS_COLUMNS = ("participant", "status", "effective_date", "reason", "recorded_at", "recorded_by")


@dataclass
class _Plan:
    """Rows to insert. Related rows hold the participant's position until ids are known."""

    participants: list[list[Any]] = field(default_factory=list)
    supervisors: list[str] = field(default_factory=list)  # organisation name per participant
    aliases: list[tuple[int, str, str]] = field(default_factory=list)
    legal_bases: list[tuple[int, str, dt.date, dt.date | None, bool, str]] = field(
        default_factory=list
    )
    # (position, status, effective date, reason, recorded by the supervising officer)
    statuses: list[tuple[int, str, dt.date, str, bool]] = field(default_factory=list)
    agencies: list[tuple[int, str]] = field(default_factory=list)


def demo_organisation_names() -> list[str]:
    return [
        PROGRAMME_TEAM,
        *PROBATION_BY_REGION.values(),
        PRISON_SERVICE,
        *POLICE_UNITS,
        *PROVIDERS,
    ]


@transaction.atomic
def demo_data_create(
    *, participants: int, seed: int, replace: bool = False, today: dt.date | None = None
) -> DemoResult:
    """Build the demo programme. Refuses a database that already holds data unless `replace`."""
    if participants < 0:
        raise DemoDataError("The number of participants cannot be negative.")
    today = today or timezone.localdate()
    deleted: dict[str, int] = {}
    existing = Participant.objects.count()
    demo_rows = (
        Organisation.objects.filter(name__in=demo_organisation_names()).exists()
        or User.objects.filter(username__in=[x.username for x in NAMED_LOGINS]).exists()
    )
    if existing or demo_rows:
        if not replace:
            what = f"{existing} participants" if existing else "demo organisations or users"
            raise DemoDataError(
                f"The database already holds {what}. Run again with --replace to delete all "
                "participants and the demo organisations and their users first, or use an "
                "empty database."
            )
        with _sqlite_cache(megabytes=256):
            deleted = demo_data_delete()

    dice = _Dice(seed)
    fake = Faker("en_GB")
    fake.seed_instance(seed)

    regions = {region.code: region for region in Region.objects.all()}
    missing = set(ALL_REGIONS) - set(regions)
    if missing:
        raise DemoDataError(f"Regions missing (run migrate first): {', '.join(sorted(missing))}")
    organisations = _create_organisations(regions)
    plan = _plan_participants(
        n=participants, dice=dice, fake=fake, today=today, regions=regions, orgs=organisations
    )
    users, staff = _create_staff(
        plan=plan, fake=fake, organisations=organisations, password=make_password(DEMO_PASSWORD)
    )
    _assign_officers(plan=plan, dice=dice, staff=staff)

    with _sqlite_cache(megabytes=256):
        _insert_plan(plan, organisations)

    counts = {
        "organisations": len(organisations),
        "users": users,
        "participants": len(plan.participants),
        "aliases": len(plan.aliases),
        "legal_bases": len(plan.legal_bases),
        "status_changes": len(plan.statuses),
        "agency_links": len(plan.agencies),
    }
    # Practitioners, referrals, sessions and the rest, made through the services. (Imported
    # here because that module builds on this one.)
    from desist.demo_delivery import demo_delivery_create

    counts |= demo_delivery_create(seed=seed, today=today)
    # Assessments, plans, measures, release plans and the service directory build on both.
    from desist.support.demo import demo_support_create

    counts |= demo_support_create(seed=seed, today=today)
    # Past years of sessions, through `desist import sessions`, for the statistics.
    from desist.statistics.demo import demo_history_create

    counts |= demo_history_create(seed=seed, today=today)
    # Counts and seed only: the audit trail must not hold the made-up personal data either.
    audit_record(
        actor=None,
        action=Action.IMPORT,
        entity="demo-data",
        entity_id="",
        changes={"seed": seed, "as_of": today.isoformat(), "created": counts, "deleted": deleted},
    )
    return DemoResult(
        seed=seed, counts=counts, deleted=deleted, extra_staff=users - len(NAMED_LOGINS)
    )


def demo_data_delete() -> dict[str, int]:
    """Delete every participant, the demo organisations and their users (audit events stay)."""
    names = demo_organisation_names()
    counts: dict[str, int] = {}
    try:
        from desist.demo_delivery import demo_delivery_delete
        from desist.statistics.demo import demo_history_delete
        from desist.support.demo import demo_support_delete

        counts.update(demo_history_delete())
        counts.update(demo_support_delete())
        # Referrals, sessions and the rest refer to participants and users: they go first.
        counts.update(demo_delivery_delete(names))
        # Children first, each in one DELETE, so the collector below finds nothing to cascade.
        for label, model in (
            ("aliases", Alias),
            ("legal_bases", LegalBasis),
            ("status_changes", StatusChange),
            ("agency_links", Participant.agencies.through),
        ):
            counts[label] = model.objects.all().delete()[0]
        counts["participants"] = (
            Participant.objects.only("pk").delete()[1].get(Participant._meta.label, 0)
        )
        users = User.objects.filter(
            Q(organisation__name__in=names) | Q(username__in=[x.username for x in NAMED_LOGINS])
        )
        counts["users"] = users.delete()[1].get(User._meta.label, 0)
        counts["organisations"] = (
            Organisation.objects.filter(name__in=names).delete()[1].get(Organisation._meta.label, 0)
        )
    except (ProtectedError, RestrictedError) as error:
        raise DemoDataError(
            "Cannot delete the existing demo data: other records still refer to it "
            f"({error.args[0]})"
        ) from None
    return counts


def _insert_plan(plan: _Plan, organisations: dict[str, Organisation]) -> None:
    now = timezone.now()
    for row in plan.participants:
        row[-2] = row[-1] = now  # created_at, updated_at
    _bulk_insert(Participant, PARTICIPANT_COLUMNS, plan.participants)
    # One query for every new id: references are unique and the table held no participants.
    id_of = dict(Participant.objects.values_list("reference", "pk"))
    ids = [id_of[row[_REFERENCE]] for row in plan.participants]
    officers = [row[_OFFICER] for row in plan.participants]
    _bulk_insert(Alias, ALIAS_COLUMNS, ([ids[i], g, f] for i, g, f in plan.aliases))
    _bulk_insert(
        LegalBasis, LEGAL_BASIS_COLUMNS, ([ids[row[0]], *row[1:]] for row in plan.legal_bases)
    )
    _bulk_insert(
        StatusChange,
        STATUS_COLUMNS,
        (
            [ids[i], status, date, reason, now, officers[i] if by_officer else None]
            for i, status, date, reason, by_officer in plan.statuses
        ),
    )
    _bulk_insert(
        Participant.agencies.through,
        ("participant", "organisation"),
        ([ids[i], organisations[name].pk] for i, name in plan.agencies),
    )
    if connection.vendor == "postgresql":
        # Fresh planner statistics now, rather than whenever autovacuum gets to 500k new rows.
        tables: list[type[Model]] = [
            Participant,
            Alias,
            LegalBasis,
            StatusChange,
            Participant.agencies.through,
        ]
        with connection.cursor() as cursor:
            for model in tables:
                cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")


@contextmanager
def _sqlite_cache(*, megabytes: int) -> Iterator[None]:
    """SQLite's default 2 MB page cache makes inserts into the participant table's dozen indexes
    wait on disk; a larger cache for this connection, for the length of the load, halves it."""
    if connection.vendor != "sqlite":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size")
        previous = cursor.fetchone()[0]
        cursor.execute(f"PRAGMA cache_size = {-1024 * int(megabytes)}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA cache_size = {int(previous)}")


def _bulk_insert(model: type[Model], columns: Sequence[str], rows: Iterable[list[Any]]) -> None:
    """Insert rows of Python values, BATCH_SIZE at a time: one executemany per batch, or COPY on
    PostgreSQL.

    bulk_create spends about 10 microseconds preparing each value, over a minute for the 5
    million values of 100,000 participants; here only dates, times and uuids need converting.
    No signals are sent and no defaults are applied: every column must be given.
    """
    ops = connection.ops
    fields = [_concrete_field(model, name) for name in columns]
    table = ops.quote_name(model._meta.db_table)
    names = ", ".join(ops.quote_name(f.column) for f in fields)
    if connection.vendor == "postgresql":
        # psycopg adapts dates, aware datetimes and uuids itself; COPY is several times faster
        # than even pipelined INSERTs.
        with (
            connection.cursor() as cursor,
            cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy,
        ):
            for row in rows:
                copy.write_row(row)
        return
    converters: list[tuple[int, Callable[[Any], Any]]] = []
    for position, model_field in enumerate(fields):
        if isinstance(model_field, DateTimeField):
            converters.append((position, _memoised(ops.adapt_datetimefield_value)))
        elif isinstance(model_field, DateField):
            converters.append((position, _memoised(ops.adapt_datefield_value)))
        elif isinstance(model_field, UUIDField) and not connection.features.has_native_uuid_field:
            converters.append((position, lambda value: value.hex))
    marks = ", ".join(["%s"] * len(fields))
    sql = f"INSERT INTO {table} ({names}) VALUES ({marks})"  # noqa: S608 - names from model metadata
    with connection.cursor() as cursor:
        for batch in _batches(rows, BATCH_SIZE):
            for row in batch:
                for position, convert in converters:
                    if row[position] is not None:
                        row[position] = convert(row[position])
            cursor.executemany(sql, batch)


def _memoised(convert: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """Dates repeat across rows (a few thousand distinct days), so convert each one once."""
    seen: dict[Any, Any] = {}

    def cached(value: Any) -> Any:
        if value not in seen:
            seen[value] = convert(value)
        return seen[value]

    return cached


def _concrete_field(model: type[Model], name: str) -> Field[Any, Any]:
    model_field = model._meta.get_field(name)
    if not isinstance(model_field, Field):
        raise TypeError(f"{model.__name__}.{name} is not a column")
    return model_field


def _batches(rows: Iterable[list[Any]], size: int) -> Iterator[list[list[Any]]]:
    iterator = iter(rows)
    while batch := list(islice(iterator, size)):
        yield batch


def _create_organisations(regions: dict[str, Region]) -> dict[str, Organisation]:
    specs: list[tuple[str, str, Sequence[str]]] = [
        (PROGRAMME_TEAM, OrganisationKind.PROGRAMME_TEAM, ALL_REGIONS),
        *(
            (name, OrganisationKind.PROBATION, (code,))
            for code, name in PROBATION_BY_REGION.items()
        ),
        (PRISON_SERVICE, OrganisationKind.PRISON, ALL_REGIONS),
        *((name, OrganisationKind.CT_POLICE, codes) for name, codes in POLICE_UNITS.items()),
        *((name, OrganisationKind.PROVIDER, codes) for name, codes in PROVIDERS.items()),
    ]
    created = Organisation.objects.bulk_create(
        [Organisation(name=name, kind=kind) for name, kind, _ in specs]
    )
    through = Organisation.regions.through
    through.objects.bulk_create(
        [
            through(organisation_id=org.pk, region_id=regions[code].pk)
            for org, (_, _, codes) in zip(created, specs, strict=True)
            for code in codes
        ]
    )
    return {org.name: org for org in created}


def _pool(draw: Callable[[], str], size: int) -> list[str]:
    """Names drawn once from Faker with its own weights; rows then pick from the pool, which is
    many times faster than asking Faker for every row."""
    return [draw() for _ in range(size)]


def _cumulative(weights: dict[str, float]) -> tuple[list[str], list[float]]:
    return list(weights), list(accumulate(weights.values()))


def _plan_participants(
    *,
    n: int,
    dice: _Dice,
    fake: Faker,
    today: dt.date,
    regions: dict[str, Region],
    orgs: dict[str, Organisation],
) -> _Plan:
    plan = _Plan()
    male_names = _pool(fake.first_name_male, 2000)
    female_names = _pool(fake.first_name_female, 2000)
    family_names = _pool(fake.last_name, 4000)
    region_codes, region_cum = _cumulative(REGION_WEIGHTS)
    strands, strand_cum = _cumulative(STRAND_WEIGHTS)
    sexes, sex_cum = _cumulative({Sex.MALE.value: 90, Sex.FEMALE.value: 9, Sex.NOT_KNOWN.value: 1})
    police_of = {code: name for name, codes in POLICE_UNITS.items() for code in codes}
    used_pnc: set[str] = set()
    used_prison: set[str] = set()
    used_crn: set[str] = set()
    used_pseudonyms: set[str] = set()
    width = max(6, len(str(n)))
    licence, custody, tpim, teo = Strand.PROBATION_LICENCE, Strand.CUSTODY, Strand.TPIM, Strand.TEO
    female = Sex.FEMALE.value

    for index in range(n):
        region_code = dice.weighted(region_codes, region_cum)
        strand = dice.weighted(strands, strand_cum)
        sex = dice.weighted(sexes, sex_cum)
        given_names = female_names if sex == female else male_names
        given = dice.pick(given_names)
        family = dice.pick(family_names)
        referral_date = today - dt.timedelta(days=int(dice.triangular(0, 8 * 365, 0)))
        age_at_referral = int(dice.triangular(18, 65, 24))
        date_of_birth = referral_date - dt.timedelta(days=age_at_referral * 365 + dice.below(365))

        probation = PROBATION_BY_REGION.get(
            region_code, PROBATION_BY_REGION[FALLBACK_PROBATION_REGION]
        )
        in_custody = strand == custody
        supervisor = PRISON_SERVICE if in_custody else probation

        pnc = _unique(used_pnc, partial(_pnc_number, dice, date_of_birth, referral_date))
        prison_number = ""
        if strand in (licence, custody):
            prison_number = _unique(used_prison, partial(_prison_number, dice))
        crn = ""
        if strand != teo and (strand != tpim or dice.random() < 0.5):
            crn = _unique(used_crn, partial(_crn, dice))

        status, history = _status_history(dice, strand, referral_date, today)
        establishment = ""
        release: dt.date | None = None
        if in_custody:
            establishment = dice.pick(WOMEN_PRISONS if sex == female else MEN_PRISONS)
            if status == Status.ENDED:
                release = history[-1][1]
            else:
                release = today + dt.timedelta(days=dice.between(30, 8 * 365))

        mappa_category, mappa_level = _mappa(dice, strand)
        pseudonym = _unique(used_pseudonyms, partial(_pseudonym, dice))
        email = ""
        if not in_custody and dice.random() < 0.45:
            domain = dice.pick(EMAIL_DOMAINS)
            email = f"{given}.{family}{dice.between(1, 100)}@{domain}".lower().replace("'", "")
        plan.participants.append(
            [
                uuid.UUID(int=dice.bits(128), version=4),
                f"DDP-{index + 1:0{width}d}",
                pseudonym,
                given,
                family,
                date_of_birth,
                sex,
                "",  # gender identity
                pnc,
                prison_number,
                crn,
                "" if in_custody else f"07700 900{dice.below(1000):03d}",  # Ofcom drama range
                email,
                "" if in_custody else _address(dice, family_names, region_code),
                regions[region_code].pk,
                strand,
                status,
                referral_date,
                orgs[supervisor].pk,
                None,  # supervising officer, once staff exist
                mappa_category,
                mappa_level,
                establishment,
                release,
                None,  # created_at
                None,  # updated_at
            ]
        )
        plan.supervisors.append(supervisor)

        for status_value, date, reason in history:
            plan.statuses.append((index, status_value, date, reason, status_value != "referred"))
        plan.legal_bases.append((index, *_legal_basis(dice, strand, referral_date, history, today)))
        if dice.random() < 0.15:
            for _ in range(dice.pick((1, 1, 2))):
                plan.aliases.append((index, dice.pick(given_names), dice.pick(family_names)))
        # Other agencies involved alongside the supervising organisation.
        if in_custody:
            plan.agencies.append((index, probation))  # continuity from custody to community
        if strand in (tpim, teo) or dice.random() < 0.3:
            plan.agencies.append((index, police_of[region_code]))
    return plan


def _pseudonym(dice: _Dice) -> str:
    # 55 random bits as 11 base-32 characters, in new_pseudonym's alphabet.
    encoded = base64.b32encode(dice.bits(56).to_bytes(7, "big")).decode()
    return "P" + encoded[:11].translate(_TO_PSEUDONYM_ALPHABET)


def _unique(used: set[str], make: Callable[[], str]) -> str:
    while True:
        value = make()
        if value not in used:
            used.add(value)
            return value


def _pnc_number(dice: _Dice, date_of_birth: dt.date, referral_date: dt.date) -> str:
    # First recorded on the Police National Computer some time between 16 and the referral.
    first = date_of_birth.year + 16
    year = str(dice.between(min(first, referral_date.year), referral_date.year + 1))
    serial = f"{dice.between(1, 10_000_000):07d}"
    return f"{year}/{serial}{pnc_check_letter(year, serial)}"


def _prison_number(dice: _Dice) -> str:
    letters = dice.two_letters(_LETTERS)
    return f"{dice.pick('ABG')}{dice.below(10_000):04d}{letters}"


def _crn(dice: _Dice) -> str:
    return f"{dice.pick('ADEFKLNX')}{dice.below(1_000_000):06d}"


def _address(dice: _Dice, family_names: list[str], region_code: str) -> str:
    town, area = dice.pick(TOWNS[region_code])
    street = f"{dice.pick(family_names)} {dice.pick(STREET_KINDS)}"
    district = dice.between(1, 30)
    inward = f"{dice.below(10)}{dice.two_letters(_POSTCODE_LETTERS)}"
    return f"{dice.between(1, 200)} {street}\n{town}\n{area}{district} {inward}"


def _mappa(dice: _Dice, strand: str) -> tuple[str, str]:
    roll = dice.random()
    share = _TERRORISM_MAPPA_SHARE[strand]
    if roll < share:
        category = MappaCategory.CAT4.value
    elif roll < share + 0.05:
        category = dice.pick(_OTHER_MAPPA_CATEGORIES)
    else:
        return "", ""
    return category, dice.weighted(_MAPPA_LEVELS, _MAPPA_LEVEL_CUM)


def _status_history(
    dice: _Dice, strand: str, referral_date: dt.date, today: dt.date
) -> tuple[str, list[tuple[str, dt.date, str]]]:
    """The current status and the changes that led to it, oldest first."""
    history = [(Status.REFERRED.value, referral_date, "Referral received")]
    days = (today - referral_date).days
    if days < 30 and dice.random() < 0.8:
        return Status.REFERRED, history
    if days > 60 and dice.random() < 0.04:
        ended = referral_date + dt.timedelta(days=dice.between(14, 60))
        history.append((Status.ENDED.value, ended, "Assessed as unsuitable at triage"))
        return Status.ENDED, history
    started = min(today, referral_date + dt.timedelta(days=dice.between(7, 45)))
    history.append((Status.ACTIVE.value, started, "Intervention started"))
    ended_share = 0.15 if days < 540 else 0.7
    roll = dice.random()
    remaining = (today - started).days
    if roll < ended_share and remaining > 30:
        ended = started + dt.timedelta(days=dice.between(30, min(remaining, 900) + 1))
        history.append((Status.ENDED.value, ended, dice.pick(END_REASONS[strand])))
        return Status.ENDED, history
    if roll < ended_share + 0.1 and remaining > 14:
        paused = started + dt.timedelta(days=dice.between(14, remaining + 1))
        history.append((Status.PAUSED.value, paused, dice.pick(PAUSE_REASONS)))
        return Status.PAUSED, history
    return Status.ACTIVE, history


def _legal_basis(
    dice: _Dice,
    strand: str,
    referral_date: dt.date,
    history: list[tuple[str, dt.date, str]],
    today: dt.date,
) -> tuple[str, dt.date, dt.date | None, bool, str]:
    """Kind, start, end, whether attendance is mandatory, and notes."""
    kind, mandatory = LEGAL_BASIS_FOR_STRAND[strand]
    ended = history[-1][1] if history[-1][0] == Status.ENDED else None
    end: dt.date | None
    if kind == LegalBasisKind.LICENCE:
        start = referral_date - dt.timedelta(days=dice.between(0, 120))
        end = start + dt.timedelta(days=365 * dice.pick(LICENCE_YEARS))
        notes = "Licence conditions include engagement with the programme."
    elif kind == LegalBasisKind.TPIM_NOTICE:
        start = referral_date - dt.timedelta(days=dice.between(0, 60))
        end = start + dt.timedelta(days=365)
        if ended is None and end < today:
            end = today + dt.timedelta(days=dice.between(30, 365))  # extended
        notes = "Measures include a requirement to attend appointments."
    elif kind == LegalBasisKind.TEO:
        start = referral_date - dt.timedelta(days=dice.between(0, 30))
        end = start + dt.timedelta(days=2 * 365)
        notes = "Permit to return includes obligations to attend appointments."
    elif kind == LegalBasisKind.CUSTODIAL_SENTENCE:
        start = referral_date - dt.timedelta(days=dice.between(180, 6 * 365))
        end = None
        notes = ""
    else:
        start = referral_date
        end = ended
        notes = "Agreed to take part voluntarily."
    return kind, start, end, mandatory, notes


def _create_staff(
    *,
    plan: _Plan,
    fake: Faker,
    organisations: dict[str, Organisation],
    password: str,
) -> tuple[int, dict[str, list[int]]]:
    """Named logins, plus enough officers in each supervising organisation to share its cases.

    Returns how many users were made, and the ids of those who can hold cases by organisation.
    """
    cases = Counter(plan.supervisors)
    users: list[User] = []
    roles: list[str] = []

    def add(username: str, role: str, organisation: str, *, staff: bool = False) -> None:
        given, family = fake.first_name(), fake.last_name()
        users.append(
            User(
                username=username,
                password=password,
                first_name=given,
                last_name=family,
                email=f"{username}@example.org",
                organisation_id=organisations[organisation].pk,
                is_staff=staff,
                is_superuser=staff,
            )
        )
        roles.append(role)

    for login in NAMED_LOGINS:
        add(login.username, login.role, login.organisation, staff=login.staff)
    named_per_org = Counter(
        x.organisation
        for x in NAMED_LOGINS
        if x.role in (Role.SUPERVISING_OFFICER, Role.PRISON_OFFENDER_MANAGER)
    )
    for name, organisation in organisations.items():
        role: str
        if organisation.kind == OrganisationKind.PROBATION:
            role, prefix = Role.SUPERVISING_OFFICER, "officer." + _slug(name)
        elif organisation.kind == OrganisationKind.PRISON:
            role, prefix = Role.PRISON_OFFENDER_MANAGER, "pom.prison"
        else:
            continue
        wanted = max(2, math.ceil(cases[name] / CASES_PER_OFFICER))
        have = named_per_org[name]
        extra = min(MAX_EXTRA_STAFF_PER_ORGANISATION, max(0, wanted - have))
        for number in range(have + 1, have + extra + 1):
            add(f"{prefix}.{number}", role, name)

    User.objects.bulk_create(users, batch_size=BATCH_SIZE)
    RoleGrant.objects.bulk_create(
        [RoleGrant(user_id=user.pk, role=role) for user, role in zip(users, roles, strict=True)],
        batch_size=BATCH_SIZE,
    )
    by_org: dict[str, list[int]] = {}
    name_of = {org.pk: name for name, org in organisations.items()}
    for user, role in zip(users, roles, strict=True):
        if role in (Role.SUPERVISING_OFFICER, Role.PRISON_OFFENDER_MANAGER):
            by_org.setdefault(name_of[user.organisation_id], []).append(user.pk)  # type: ignore[index]
    return len(users), by_org


def _slug(organisation_name: str) -> str:
    for code, name in PROBATION_BY_REGION.items():
        if name == organisation_name:
            return code.replace("_", "")
    raise KeyError(organisation_name)


def _assign_officers(*, plan: _Plan, dice: _Dice, staff: dict[str, list[int]]) -> None:
    for row, organisation in zip(plan.participants, plan.supervisors, strict=True):
        officers = staff.get(organisation)
        # A new referral may not have an officer allocated yet.
        if not officers or (row[_STATUS] == Status.REFERRED and dice.random() < 0.3):
            continue
        row[_OFFICER] = dice.pick(officers)
