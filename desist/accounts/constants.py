from django.db import models


class OrganisationKind(models.TextChoices):
    PROGRAMME_TEAM = "programme_team", "Programme team"
    PROBATION = "probation", "Probation service"
    PRISON = "prison", "Prison service"
    CT_POLICE = "ct_police", "Counter-terrorism police"
    PROVIDER = "provider", "Intervention provider"


class Role(models.TextChoices):
    PROGRAMME_MANAGER = "programme_manager", "Programme manager"
    SUPERVISING_OFFICER = "supervising_officer", "Supervising officer"
    PRISON_OFFENDER_MANAGER = "prison_offender_manager", "Prison offender manager"
    POLICE_LIAISON = "police_liaison", "Police liaison"
    PRACTITIONER = "practitioner", "Practitioner"
    ANALYST = "analyst", "Analyst"
    ADMINISTRATOR = "administrator", "Administrator"


# Which organisation kinds a role may be held in. A role outside its kinds grants nothing.
ROLE_ORGANISATION_KINDS: dict[str, frozenset[str]] = {
    Role.PROGRAMME_MANAGER: frozenset({OrganisationKind.PROGRAMME_TEAM}),
    Role.SUPERVISING_OFFICER: frozenset({OrganisationKind.PROBATION}),
    Role.PRISON_OFFENDER_MANAGER: frozenset({OrganisationKind.PRISON}),
    Role.POLICE_LIAISON: frozenset({OrganisationKind.CT_POLICE}),
    Role.PRACTITIONER: frozenset({OrganisationKind.PROVIDER}),
    Role.ANALYST: frozenset({OrganisationKind.PROGRAMME_TEAM}),
    Role.ADMINISTRATOR: frozenset(OrganisationKind.values),
}

# England and Wales probation regions, plus Northern Ireland.
REGIONS: list[tuple[str, str]] = [
    ("north_east", "North East"),
    ("north_west", "North West"),
    ("yorkshire_humber", "Yorkshire and the Humber"),
    ("greater_manchester", "Greater Manchester"),
    ("east_midlands", "East Midlands"),
    ("west_midlands", "West Midlands"),
    ("east_of_england", "East of England"),
    ("london", "London"),
    ("kent_surrey_sussex", "Kent, Surrey and Sussex"),
    ("south_central", "South Central"),
    ("south_west", "South West"),
    ("wales", "Wales"),
    ("northern_ireland", "Northern Ireland"),
]

# Roles that work with identifiable participant records (through the access gate).
CASELOAD_ROLES: tuple[str, ...] = (
    Role.PROGRAMME_MANAGER,
    Role.SUPERVISING_OFFICER,
    Role.PRISON_OFFENDER_MANAGER,
    Role.POLICE_LIAISON,
    Role.PRACTITIONER,
)

# Kinds of organisation that can supervise a case.
SUPERVISING_KINDS: frozenset[str] = frozenset({OrganisationKind.PROBATION, OrganisationKind.PRISON})
