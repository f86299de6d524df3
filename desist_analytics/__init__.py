"""desist_analytics: the Django-free statistics library behind desist.

Pure functions over plain values, arrays and data frames. Nothing here imports Django; the web
application and the `desist` command call into it. Later capabilities (proven reoffending, Data
Lab matching) add their public functions here.

- `active_participants`: distinct people with an attended session, per financial year
  (METHODS.md section 1), returning `ActiveParticipants`.
- `disclosure_control`: primary and secondary suppression or rounding of a table of counts
  (METHODS.md section 2), configured by `DisclosureOptions`, returning `ProtectedTable` whose
  entries carry a `Suppression` reason.
"""

from desist_analytics._dates import financial_year, financial_year_start
from desist_analytics._disclosure import (
    DisclosureOptions,
    ProtectedTable,
    Suppression,
    disclosure_control,
)
from desist_analytics._participants import ActiveParticipants, active_participants

__all__ = [
    "ActiveParticipants",
    "DisclosureOptions",
    "ProtectedTable",
    "Suppression",
    "active_participants",
    "disclosure_control",
    "financial_year",
    "financial_year_start",
]
