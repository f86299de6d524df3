"""The audit trail: append-only rows linked by a SHA-256 hash chain.

Each row stores the hash of the row before it and a hash over its own content and that previous
hash. Editing a row breaks its own hash; deleting one breaks the chain at the next row; cutting
rows off the end no longer matches the chain head. Database triggers refuse UPDATE and DELETE on
the table, so changing it takes deliberate work by someone who can drop triggers, and even then
`desist audit verify` finds it.
"""

from __future__ import annotations

from typing import Any

from django.db import models

from desist.audit.constants import GENESIS_HASH, Action


class AuditEvent(models.Model):
    seq = models.BigIntegerField(unique=True)
    occurred_at = models.DateTimeField()
    actor_id = models.BigIntegerField(null=True, blank=True)
    actor_label = models.CharField(max_length=200)
    action = models.CharField(max_length=10, choices=Action.choices)
    entity = models.CharField(max_length=100)
    entity_id = models.CharField(max_length=64)
    # Opaque participant identifier (uuid) for "who touched this case" queries.
    participant_ref = models.CharField(max_length=36, blank=True, db_index=True)
    changes = models.JSONField(default=dict, blank=True)
    purpose = models.CharField(max_length=300, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    class Meta:
        ordering = ["seq"]
        indexes = [models.Index(fields=["entity", "entity_id"])]

    def __str__(self) -> str:
        return f"#{self.seq} {self.actor_label} {self.action} {self.entity}:{self.entity_id}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise PermissionError("Audit events are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise PermissionError("Audit events are append-only.")


class AuditChainHead(models.Model):
    """One row: the newest sequence number and hash. Locked while an event is appended."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    last_seq = models.BigIntegerField(default=0)
    last_hash = models.CharField(max_length=64, default=GENESIS_HASH)

    def __str__(self) -> str:
        return f"audit head at #{self.last_seq}"
