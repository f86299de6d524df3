"""Checking the hash chain end to end."""

from __future__ import annotations

from dataclasses import dataclass, field

from desist.audit.constants import GENESIS_HASH
from desist.audit.models import AuditChainHead, AuditEvent
from desist.audit.services import HASHED_FIELDS, event_hash


@dataclass
class VerifyResult:
    checked: int = 0
    problems: list[str] = field(default_factory=list)
    head_hash: str = GENESIS_HASH

    @property
    def ok(self) -> bool:
        return not self.problems


def audit_verify(*, chunk_size: int = 5000) -> VerifyResult:
    result = VerifyResult()
    expected_seq = 1
    prev_hash = GENESIS_HASH
    rows = AuditEvent.objects.order_by("seq").values(*HASHED_FIELDS, "hash")
    for row in rows.iterator(chunk_size=chunk_size):
        seq = row["seq"]
        if seq != expected_seq:
            gap = (
                f"#{expected_seq}" if seq - 1 == expected_seq else f"#{expected_seq} to #{seq - 1}"
            )
            result.problems.append(f"Event {gap} missing: rows were deleted.")
        if row["prev_hash"] != prev_hash:
            result.problems.append(
                f"Event #{seq} does not follow the event before it: the chain is broken."
            )
        if event_hash(row) != row["hash"]:
            result.problems.append(f"Event #{seq} was changed after it was written.")
        prev_hash = row["hash"]
        expected_seq = seq + 1
        result.checked += 1
    head = AuditChainHead.objects.filter(id=1).first()
    head_seq = head.last_seq if head else 0
    head_hash = head.last_hash if head else GENESIS_HASH
    if head_seq != expected_seq - 1 or head_hash != prev_hash:
        result.problems.append(
            f"The chain ends at event #{expected_seq - 1} but its head records "
            f"#{head_seq}: events were removed from the end or the head was altered."
        )
    result.head_hash = prev_hash
    return result
