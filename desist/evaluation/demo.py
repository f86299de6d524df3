"""A made-up offences file for the demo participants, keyed by pseudonym, so proven reoffending
on the programme's own participants can be tried without real offence data.

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
