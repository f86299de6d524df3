"""Programme statistics: history brought in from a programme's own spreadsheets."""

from __future__ import annotations

import uuid as uuid_lib
from typing import Any

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


class PublishedReleaseError(Exception):
    """An attempt to change or delete a published statistics release."""


class ReleaseStatus(models.TextChoices):
    BUILDING = "building", "Being built"
    FAILED = "failed", "Could not be built"
    DRAFT = "draft", "Draft"
    PUBLISHED = "published", "Published"


class StatisticsRelease(models.Model):
    """A frozen set of published tables as at a date (desist/statistics/releases.py builds
    them, as a background task: `progress` counts the tables built so far). `checksum` is the
    sha256 of the canonical JSON of the as-at date and the tables, so a re-run on the same data
    cut can be checked against it. Published releases never change: `save()` refuses, and a
    database trigger refuses UPDATE and DELETE of a published row on SQLite and PostgreSQL.

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
    progress = models.PositiveSmallIntegerField(default=0, help_text="Tables built so far.")
    tables_total = models.PositiveSmallIntegerField(default=0, help_text="Tables to build.")
    build_error = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.title} ({self.as_at:%Y-%m-%d})"

    def save(self, *args: Any, **kwargs: Any) -> None:
        # A guard, not a rule: services never try. The database trigger is the real lock.
        if self.pk is not None and (
            StatisticsRelease.objects.filter(pk=self.pk, status=ReleaseStatus.PUBLISHED).exists()
        ):
            raise PublishedReleaseError("A published statistics release cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        if self.is_published:
            raise PublishedReleaseError("A published statistics release cannot be deleted.")
        return super().delete(*args, **kwargs)

    @property
    def is_published(self) -> bool:
        return self.status == ReleaseStatus.PUBLISHED

    @property
    def is_built(self) -> bool:
        return self.status in (ReleaseStatus.DRAFT, ReleaseStatus.PUBLISHED)

    @property
    def progress_percent(self) -> int:
        return round(100 * self.progress / self.tables_total) if self.tables_total else 0
