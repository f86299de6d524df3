"""A person's decision about two participant records: the same person, or different people.

Decisions are never deleted. A later decision about the same pair replaces the earlier one only
through `desist.people.services_duplicates`, which audits the old and new values.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


class DuplicateDecisionKind(models.TextChoices):
    SAME_PERSON = "same_person", "Same person (merged)"
    DISTINCT = "distinct", "Different people"


class DuplicateDecision(models.Model):
    # The pair is stored with the lower primary key first, so each pair has one row.
    first = models.ForeignKey("people.Participant", on_delete=models.CASCADE, related_name="+")
    second = models.ForeignKey("people.Participant", on_delete=models.CASCADE, related_name="+")
    decision = models.CharField(max_length=20, choices=DuplicateDecisionKind.choices)
    reason = models.CharField(max_length=500)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField()

    class Meta:
        ordering = ["-decided_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["first", "second"], name="duplicate_decision_one_per_pair"
            ),
            models.CheckConstraint(
                condition=models.Q(first__lt=models.F("second")),
                name="duplicate_decision_lower_pk_first",
            ),
        ]

    def __str__(self) -> str:
        # Primary keys only: str() ends up in logs.
        return f"Duplicate decision {self.first_id}/{self.second_id}: {self.decision}"
