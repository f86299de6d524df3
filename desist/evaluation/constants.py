from django.db import models


class RunStatus(models.TextChoices):
    """Where a proven reoffending run on uploaded files has got to."""

    QUEUED = "queued", "Waiting to start"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Could not be run"


class IndexSource(models.TextChoices):
    """Where a run's index events come from."""

    FILE = "file", "A file you upload"
    PARTICIPANTS = "participants", "The programme's participants"


class LinkedBy(models.TextChoices):
    """Which identifier in the offences file names a participant (runs on the participants)."""

    PSEUDONYM = "pseudonym", "Participant pseudonym"
    PNC_NUMBER = "pnc_number", "PNC number"


class TreatmentSource(models.TextChoices):
    """Where a Data Lab evaluation's treatment group comes from."""

    FILE = "file", "Everyone in an uploaded file"
    PARTICIPANTS = "participants", "The programme's participants I choose"


# The statuses after which nothing more happens to a run (its uploaded files are gone).
FINISHED: frozenset[str] = frozenset({RunStatus.DONE, RunStatus.FAILED})


# Labels for ReoffendingOptions.JURISDICTIONS and .BREAKDOWNS (the library's codes).
JURISDICTION_LABELS: dict[str, str] = {
    "ew": "England and Wales",
    "ni": "Northern Ireland",
}
BREAKDOWN_LABELS: dict[str, str] = {
    "adult-youth": "Adult or youth",
    "sex": "Sex",
    "age-band": "Age band on the index date",
    "index-disposal": "Index disposal",
    "offence-group": "Index offence group",
    "previous-offences": "Previous offences",
}
# Words for the library's codes in breakdown rows (others are shown as they are).
VALUE_LABELS: dict[str, dict[str, str]] = {
    "index-disposal": {
        "custody_release": "Released from custody",
        "court_noncustodial": "Non-custodial court disposal",
        "caution": "Caution",
        "diversion": "Diversionary disposal",
    },
    "adult-youth": {"adult": "Adult", "juvenile": "Juvenile", "youth": "Youth"},
    "sex": {"unknown": "Not known"},
    "offence-group": {"unknown": "Not known"},
    "previous-offences": {"unknown": "Not known"},
}
