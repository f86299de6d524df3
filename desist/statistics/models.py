"""Programme statistics: history brought in from a programme's own spreadsheets."""

from __future__ import annotations

import uuid as uuid_lib

from django.conf import settings
from django.db import models

from desist.people.models import Participant
from desist.statistics.constants import Attendance


class HistoricalSession(models.Model):
    """One past intervention session, imported from a file (`desist import sessions`).

    A person has at most one record per day and attendance: re-importing a file, or a file
    that overlaps an earlier one, adds nothing twice. The figures count distinct people per
    year, so keeping a repeated row once loses nothing they need.
    """

    participant = models.ForeignKey(
        Participant, on_delete=models.PROTECT, related_name="historical_sessions"
    )
    session_date = models.DateField()
    attendance = models.CharField(max_length=15, choices=Attendance.choices)
    source = models.CharField(max_length=255, help_text="The file the record came from.")
    imported_at = models.DateTimeField()
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["participant", "session_date", "attendance"],
                name="historical_session_once_per_day_and_attendance",
            ),
        ]
        indexes = [models.Index(fields=["session_date"])]

    def __str__(self) -> str:
        return f"{self.participant_id} {self.session_date:%Y-%m-%d} {self.attendance}"


class ReleaseStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    PUBLISHED = "published", "Published"


class StatisticsRelease(models.Model):
    """A frozen set of published tables as at a date (desist/statistics/releases.py builds
    them). `checksum` is the sha256 of the canonical JSON of the as-at date and the tables, so
    a re-run on the same data cut can be checked against it. Published releases never change.

    Counts only, after disclosure control: no personal data is held here.
    """

    uuid = models.UUIDField(default=uuid_lib.uuid4, unique=True, editable=False)
    title = models.CharField(max_length=200)
    as_at = models.DateField()
    tables = models.JSONField(default=list, help_text="PublishedTable.to_dict() of each table.")
    checksum = models.CharField(max_length=64)
    status = models.CharField(
        max_length=10, choices=ReleaseStatus.choices, default=ReleaseStatus.DRAFT
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField()
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.title} ({self.as_at:%Y-%m-%d})"

    @property
    def is_published(self) -> bool:
        return self.status == ReleaseStatus.PUBLISHED
