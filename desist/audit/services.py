"""The one write path into the audit trail. Call it inside the transaction of the change."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Mapping
from typing import Any

from django.db import models, transaction
from django.utils import timezone

from desist.accounts.models import User
from desist.audit.constants import Action
from desist.audit.models import AuditChainHead, AuditEvent

HASHED_FIELDS = (
    "seq",
    "occurred_at",
    "actor_id",
    "actor_label",
    "action",
    "entity",
    "entity_id",
    "participant_ref",
    "changes",
    "purpose",
    "prev_hash",
)


def _json_default(value: Any) -> str:
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    return str(value)


def canonical_value(value: Any) -> Any:
    """A value as it will read back from a JSON column, so hashes match after a round trip."""
    return json.loads(json.dumps(value, default=_json_default, sort_keys=True))


def event_hash(fields: Mapping[str, Any]) -> str:
    payload = {name: fields[name] for name in HASHED_FIELDS}
    occurred_at = payload["occurred_at"]
    if isinstance(occurred_at, dt.datetime):
        payload["occurred_at"] = occurred_at.astimezone(dt.UTC).isoformat(timespec="microseconds")
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=_json_default)
    return hashlib.sha256(text.encode()).hexdigest()


def _entity_of(obj: models.Model) -> tuple[str, str]:
    return obj._meta.label_lower, str(obj.pk)


@transaction.atomic
def audit_record(
    *,
    actor: User | None,
    action: str,
    entity: str,
    entity_id: str,
    participant_ref: str = "",
    changes: Mapping[str, Any] | None = None,
    purpose: str = "",
) -> AuditEvent:
    """Append one event to the chain. The head row lock serialises appenders across processes."""
    Action(action)  # refuse unknown actions loudly
    head, _ = AuditChainHead.objects.select_for_update().get_or_create(id=1)
    fields: dict[str, Any] = {
        "seq": head.last_seq + 1,
        # Whole microseconds in UTC, so the stored value hashes the same after reading back.
        "occurred_at": timezone.now().astimezone(dt.UTC),
        "actor_id": actor.pk if actor is not None else None,
        "actor_label": actor.username if actor is not None else "system",
        "action": action,
        "entity": entity,
        "entity_id": entity_id,
        "participant_ref": participant_ref,
        "changes": canonical_value(dict(changes or {})),
        "purpose": purpose,
        "prev_hash": head.last_hash,
    }
    fields["hash"] = event_hash(fields)
    event = AuditEvent.objects.create(**fields)
    head.last_seq = event.seq
    head.last_hash = event.hash
    head.save(update_fields=["last_seq", "last_hash"])
    return event


def audit_change(
    *,
    actor: User | None,
    obj: models.Model,
    action: str,
    changes: Mapping[str, Any] | None = None,
    participant_ref: str = "",
) -> AuditEvent:
    entity, entity_id = _entity_of(obj)
    return audit_record(
        actor=actor,
        action=action,
        entity=entity,
        entity_id=entity_id,
        participant_ref=participant_ref,
        changes=changes,
    )


def snapshot(obj: models.Model, fields: Iterable[str]) -> dict[str, Any]:
    """Field values of a model instance as JSON-ready values (foreign keys by id)."""
    values: dict[str, Any] = {}
    for name in fields:
        field = obj._meta.get_field(name)
        attname = getattr(field, "attname", name)
        values[name] = canonical_value(getattr(obj, attname))
    return values


def diff(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, list[Any]]:
    """{field: [old, new]} for the fields whose value changed."""
    return {
        name: [before.get(name), after[name]] for name in after if before.get(name) != after[name]
    }
