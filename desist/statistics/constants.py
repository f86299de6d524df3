from django.db import models


class Attendance(models.TextChoices):
    """How a past session went, as a programme's own spreadsheets record it."""

    ATTENDED = "attended", "Attended"
    LATE = "late", "Attended late"
    DID_NOT_ATTEND = "did_not_attend", "Did not attend"
    CANCELLED = "cancelled", "Cancelled"


# Attendance that means the person received the session (METHODS.md section 1).
RECEIVED: frozenset[str] = frozenset({Attendance.ATTENDED, Attendance.LATE})


class Breakdown(models.TextChoices):
    """What a table of active participants may be broken down by."""

    STRAND = "strand", "Strand"
    REGION = "region", "Region"
    SEX = "sex", "Sex"
    AGE_BAND = "age-band", "Age band on 1 April"


class ExportFormat(models.TextChoices):
    TABLE = "table", "Text table"
    CSV = "csv", "CSV"
    JSON = "json", "JSON"
    XLSX = "xlsx", "Excel workbook (XLSX)"
    ODS = "ods", "OpenDocument spreadsheet (ODS)"


# Age bands on 1 April of the financial year: (label, lowest age, highest age or None).
AGE_BANDS: tuple[tuple[str, int, int | None], ...] = (
    ("under-18", 0, 17),
    ("18-24", 18, 24),
    ("25-34", 25, 34),
    ("35-44", 35, 44),
    ("45-54", 45, 54),
    ("55+", 55, None),
)
