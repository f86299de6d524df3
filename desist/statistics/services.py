"""Writes for programme statistics that are not releases (those are in services_releases.py):
the audit record of a request for figures before disclosure control."""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from desist.accounts.models import User
from desist.audit.constants import Action
from desist.audit.services import audit_record
from desist.statistics.selectors import ActiveParticipantsTable

AUDIT_ENTITY = "statistics.active-participants"


@transaction.atomic
def audit_unpublished_request(
    *,
    actor: User | None,
    channel: str,
    as_at: dt.date,
    by: str,
    format: str,
    table: ActiveParticipantsTable | None,
) -> None:
    """Record a request for figures before disclosure control: who, through what, which
    table and, when it was refused, that it was (`table` None). Parameters and counts of
    rows only, never the figures themselves or anyone's details."""
    audit_record(
        actor=actor,
        action=Action.EXPORT,
        entity=AUDIT_ENTITY,
        entity_id="",
        changes={
            "unpublished": True,
            "granted": table is not None,
            "channel": channel,
            "as_at": as_at.isoformat(),
            "by": by,
            "format": format,
            "years": len(table.years) if table is not None else 0,
        },
    )
