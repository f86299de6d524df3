"""Who is told about what. Only active users with the role in the right kind of organisation."""

from __future__ import annotations

from django.db.models import QuerySet

from desist.accounts.constants import OrganisationKind, Role
from desist.accounts.models import User
from desist.people.models import Participant


def _holding(role: str, kind: str) -> QuerySet[User]:
    return User.objects.filter(
        is_active=True, role_grants__role=role, organisation__kind=kind
    ).distinct()


def supervising_officers_for(participant: Participant) -> list[User]:
    """The named supervising officer; when there is none (or they have left), everyone
    supervising in the supervising organisation, so that nothing goes unseen."""
    officer = participant.supervising_officer
    if (
        officer is not None
        and officer.is_active
        and officer.organisation_id == (participant.supervising_organisation_id)
    ):
        return [officer]
    return list(
        User.objects.filter(
            is_active=True,
            organisation_id=participant.supervising_organisation_id,
            role_grants__role__in=[Role.SUPERVISING_OFFICER, Role.PRISON_OFFENDER_MANAGER],
        )
        .distinct()
        .order_by("id")
    )


def police_liaisons_for(participant: Participant) -> list[User]:
    """Police liaison users of counter-terrorism units covering the participant's region."""
    return list(
        _holding(Role.POLICE_LIAISON, OrganisationKind.CT_POLICE)
        .filter(organisation__regions=participant.region_id)
        .order_by("id")
    )


def programme_managers() -> list[User]:
    return list(_holding(Role.PROGRAMME_MANAGER, OrganisationKind.PROGRAMME_TEAM).order_by("id"))
