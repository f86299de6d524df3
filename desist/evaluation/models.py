"""Evaluation: proven reoffending runs on files an analyst uploads, or on the programme's
participants linked to an uploaded offences file; Data Lab evaluations."""

from __future__ import annotations

import uuid as uuid_lib

from django.conf import settings
from django.db import models

from desist.evaluation.constants import (
    FINISHED,
    IndexSource,
    LinkedBy,
    RunStatus,
    TreatmentSource,
)

# The upload fields: large, and held only until the run ends, so lists never load them.
FILE_FIELDS = ("index_events_data", "offences_data")
EVALUATION_FILE_FIELDS = ("treatment_data", "comparison_data")


class ReoffendingRunQuerySet(models.QuerySet["ReoffendingRun"]):
    def without_files(self) -> ReoffendingRunQuerySet:
        """The runs without their uploaded bytes (every page reads runs this way)."""
        return self.defer(*FILE_FIELDS)


class EvaluationRunQuerySet(models.QuerySet["EvaluationRun"]):
    def without_files(self) -> EvaluationRunQuerySet:
        """The runs without their uploaded bytes (every page reads runs this way)."""
        return self.defer(*EVALUATION_FILE_FIELDS)


class BackgroundRun(models.Model):
    """What every run computed by a background task has: who asked and when, where it has got
    to (status and per cent done), why it failed, and when it ended. The uploaded files of a
    run are kept only until it ends."""

    uuid = models.UUIDField(default=uuid_lib.uuid4, unique=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=RunStatus.choices, default=RunStatus.QUEUED)
    progress = models.PositiveSmallIntegerField(default=0, help_text="Per cent done, 0 to 100.")
    error = models.TextField(
        blank=True,
        help_text="Why the run failed, for the person who ran it: the file, row and column of "
        "a problem in the data, a problem with the options, or only the kind of error.",
    )
    options = models.JSONField()
    result = models.JSONField(null=True, blank=True, help_text="Aggregates only.")

    class Meta:
        abstract = True
        ordering = ["-created_at", "-pk"]

    @property
    def is_finished(self) -> bool:
        return self.status in FINISHED

    @property
    def is_done(self) -> bool:
        return self.status == RunStatus.DONE


class ReoffendingRun(BackgroundRun):
    """Proven reoffending (METHODS.md section 3) of a cohort, computed by a background task
    (`desist.evaluation.tasks.run_reoffending`) from two files uploaded by an analyst or
    programme manager, or from the programme's participants (index events from their legal
    bases, read when the run starts) and an uploaded offences file linked to them
    (`desist.evaluation.linkage`).

    The uploaded bytes are kept only from the upload until the run ends: done or failed, they
    are emptied, so offence records do not stay in the database. What is kept is the options
    (`ReoffendingOptions.to_dict()`) and the result (`ReoffendingResult.to_dict()`): counts
    and measures of the cohort and its breakdowns, never a row per person. The exact counts
    are stored; pages show them only after disclosure control.
    """

    index_source = models.CharField(
        max_length=12, choices=IndexSource.choices, default=IndexSource.FILE
    )
    linked_by = models.CharField(
        max_length=10,
        choices=LinkedBy.choices,
        blank=True,
        help_text="For a run on the participants: the identifier in the offences file.",
    )
    index_events_name = models.CharField(max_length=255, blank=True)
    index_events_data = models.BinaryField(
        default=b"", help_text="The uploaded file, emptied when the run ends."
    )
    offences_name = models.CharField(max_length=255)
    offences_data = models.BinaryField(
        default=b"", help_text="The uploaded file, emptied when the run ends."
    )

    objects = ReoffendingRunQuerySet.as_manager()

    class Meta(BackgroundRun.Meta):
        pass

    def __str__(self) -> str:
        return f"Proven reoffending run {self.uuid} ({self.status})"


class EvaluationRun(BackgroundRun):
    """A Data Lab evaluation (METHODS.md section 4), computed by a background task
    (`desist.evaluation.tasks.run_evaluation`) from a treatment group and a comparison pool.

    The treatment group is an uploaded file, or the programme's participants chosen by
    `participants` (strands, statuses, referral dates) whose rows are taken, by pseudonym,
    from the uploaded treatment data file. The comparison pool is an uploaded file with the
    same columns. The uploaded bytes are kept only until the run ends; what stays is the
    options, the choice of participants, the SHA-256 of each file (so a later run can be
    shown to have had the same inputs) and the result, `EvaluationResult.to_dict()`:
    aggregates only, never a row per person. The same inputs and options give the same
    result, byte for byte, and the same report.
    """

    title = models.CharField(max_length=120, help_text="What is evaluated, for the report.")
    treatment_source = models.CharField(
        max_length=12, choices=TreatmentSource.choices, default=TreatmentSource.FILE
    )
    participants = models.JSONField(
        default=dict, blank=True, help_text="The choice of participants (strands, statuses, dates)."
    )
    linkage = models.JSONField(
        default=dict, blank=True, help_text="How the treatment group was put together (counts)."
    )
    treatment_name = models.CharField(max_length=255)
    treatment_sha256 = models.CharField(max_length=64)
    treatment_data = models.BinaryField(default=b"")
    comparison_name = models.CharField(max_length=255)
    comparison_sha256 = models.CharField(max_length=64)
    comparison_data = models.BinaryField(default=b"")

    objects = EvaluationRunQuerySet.as_manager()

    class Meta(BackgroundRun.Meta):
        pass

    def __str__(self) -> str:
        return f"Data Lab evaluation {self.uuid} ({self.status})"
