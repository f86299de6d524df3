"""Made-up files for the demo participants, keyed by pseudonym, so proven reoffending and Data
Lab evaluations of the programme's own participants can be tried without real data: an
offences file (below) and linked data with a comparison pool (`demo_datalab_csv`).

About a third of the participants with an index event (see `desist.evaluation.linkage`)
reoffend, one to three times, at a day drawn after their index event; a few have offences
from before it, some reoffences are breaches or penalty notices (left out by default), and
offences not yet proven by the demo's "today" are not in the file. The same seed and data
give the same file.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import random

from desist.evaluation.linkage import INDEX_EVENT_KINDS
from desist.people.models import LegalBasis

HEADER = ("person_id", "offence_date", "disposal_date", "disposal_type", "is_breach")
REOFFEND_SHARE = 0.35
EARLIER_SHARE = 0.15
DISPOSALS = (("conviction", 0.75), ("caution", 0.12), ("penalty_notice", 0.08), ("other", 0.05))


def _index_dates() -> dict[str, dt.date]:
    """Each participant's first index date, by pseudonym."""
    first: dict[str, dt.date] = {}
    rows = LegalBasis.objects.filter(kind__in=list(INDEX_EVENT_KINDS)).values_list(
        "participant__pseudonym", "kind", "start_date", "end_date"
    )
    for pseudonym, kind, start, end in rows.order_by("participant_id", "pk"):
        day = start if INDEX_EVENT_KINDS[kind][1] == "start_date" else end
        if day is not None and (pseudonym not in first or day < first[pseudonym]):
            first[pseudonym] = day
    return first


def _disposal(dice: random.Random) -> str:
    return dice.choices([d for d, _ in DISPOSALS], weights=[w for _, w in DISPOSALS])[0]


def demo_offences_csv(*, seed: int, today: dt.date) -> str:
    """The offences file, as CSV text (a header and one row per offence)."""
    dice = random.Random(seed)  # noqa: S311 - made-up demo data, not a secret
    rows: list[tuple[str, str, str, str, str]] = []
    for pseudonym, index_date in sorted(_index_dates().items()):
        offences: list[tuple[dt.date, str, bool]] = []
        if dice.random() < EARLIER_SHARE:
            offences.append(
                (index_date - dt.timedelta(days=dice.randint(400, 3000)), "conviction", False)
            )
        if dice.random() < REOFFEND_SHARE:
            day = index_date
            for _ in range(dice.randint(1, 3)):
                day += dt.timedelta(days=dice.randint(1, 240))
                offences.append((day, _disposal(dice), dice.random() < 0.1))
        for committed, disposal, breach in offences:
            proven = committed + dt.timedelta(days=dice.randint(0, 200))
            if proven <= today:
                rows.append(
                    (
                        pseudonym,
                        committed.isoformat(),
                        proven.isoformat(),
                        disposal,
                        "true" if breach else "false",
                    )
                )
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(HEADER)
    writer.writerows(rows)
    return out.getvalue()


DATALAB_COLUMNS = (
    "person_id",
    "age",
    "sex",
    "previous_offences",
    "employed",
    "reoffended_1y",
    "reoffences_1y",
)
COMPARISON_POOL = 3_000


def _datalab_row(
    dice: random.Random, person_id: str, age: int, sex: str, treated: bool
) -> list[object]:
    previous = min(int(dice.expovariate(1 / (3.2 if treated else 2.6))), 30)
    employed = int(dice.random() < (0.35 if treated else 0.5))
    risk = 1 / (
        1
        + 2.718281828
        ** -(-0.9 + 0.15 * previous - 0.03 * (age - 30) - 0.3 * employed - (0.4 if treated else 0))
    )
    reoffended = int(dice.random() < risk)
    reoffences = reoffended * (1 + int(dice.expovariate(1.6)))
    return [person_id, age, sex, previous, employed, reoffended, reoffences]


def demo_datalab_csv(*, seed: int, today: dt.date) -> tuple[str, str]:
    """Made-up linked data for a Data Lab evaluation of the demo participants: a treatment
    data file with a row per participant, keyed by pseudonym (age at referral, sex, previous
    offences, employment, and one-year reoffending outcomes), and a comparison pool of
    made-up people with the same columns. As CSV text, the same for the same seed and data."""
    from desist.people.models import Participant

    dice = random.Random(seed * 31 + 7)  # noqa: S311 - made-up demo data, not a secret
    treated_rows = []
    people = Participant.objects.order_by("pk").values_list(
        "pseudonym", "date_of_birth", "referral_date", "sex"
    )
    for pseudonym, born, referred, sex in people:
        at = referred or today
        age = at.year - born.year - ((at.month, at.day) < (born.month, born.day))
        label = {"female": "F", "male": "M"}.get(sex, "M")
        treated_rows.append(_datalab_row(dice, pseudonym, age, label, True))
    pool = []
    for i in range(COMPARISON_POOL):
        age = max(18, min(70, int(dice.gauss(33, 9))))
        sex = "M" if dice.random() < 0.8 else "F"
        pool.append(_datalab_row(dice, f"CP{i + 1:05d}", age, sex, False))
    return _csv(treated_rows), _csv(pool)


def _csv(rows: list[list[object]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(DATALAB_COLUMNS)
    writer.writerows(rows)
    return out.getvalue()
