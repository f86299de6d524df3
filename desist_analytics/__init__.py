"""desist_analytics: the Django-free statistics library behind desist.

Pure functions over plain values, arrays and data frames. Nothing here imports Django; the web
application and the `desist` command call into it.

- `active_participants`: distinct people with an attended session, per financial year
  (METHODS.md section 1), returning `ActiveParticipants`.
- `disclosure_control`: primary and secondary suppression or rounding of a table of counts
  (METHODS.md section 2), configured by `DisclosureOptions`, returning `ProtectedTable` whose
  entries carry a `Suppression` reason; `count_in_words` for one count in a sentence.
- `proven_reoffending`: proven reoffending of a cohort (METHODS.md section 3) from
  `IndexEvents` and `Offences` (made by `read_index_events` and `read_offences` from CSV or
  Parquet, which raise `ReoffendingInputError`), configured by `ReoffendingOptions` (which
  raise `ReoffendingOptionsError`), returning `ReoffendingResult` with a
  `ReoffendingBreakdown` per breakdown value; `proven_reoffending_duckdb` gives the same
  result from Parquet files larger than memory.
- `evaluate`: a Data Lab evaluation by propensity score matching with MatchIt's semantics
  (METHODS.md section 4) of a frame read by `read_evaluation_data`, configured by
  `EvaluationOptions` (which raise `EvaluationOptionsError`; bad data raise
  `EvaluationInputError`), returning `EvaluationResult` with an `OutcomeEstimate` per outcome
  and a `BalanceRow` per covariate.
"""

from desist_analytics._dates import financial_year, financial_year_start
from desist_analytics._disclosure import (
    DisclosureOptions,
    ProtectedTable,
    Suppression,
    count_in_words,
    disclosure_control,
)
from desist_analytics._evaluation import (
    BalanceRow,
    EvaluationInputError,
    EvaluationOptions,
    EvaluationOptionsError,
    EvaluationResult,
    OutcomeEstimate,
    evaluate,
    read_evaluation_data,
)
from desist_analytics._participants import ActiveParticipants, active_participants
from desist_analytics._reoffending import (
    ReoffendingBreakdown,
    ReoffendingOptions,
    ReoffendingOptionsError,
    ReoffendingResult,
    proven_reoffending,
)
from desist_analytics._reoffending_duckdb import proven_reoffending_duckdb
from desist_analytics._reoffending_io import (
    IndexEvents,
    InputProblem,
    Offences,
    ReoffendingInputError,
    read_index_events,
    read_offences,
)

__all__ = [
    "ActiveParticipants",
    "BalanceRow",
    "DisclosureOptions",
    "EvaluationInputError",
    "EvaluationOptions",
    "EvaluationOptionsError",
    "EvaluationResult",
    "IndexEvents",
    "InputProblem",
    "Offences",
    "OutcomeEstimate",
    "ProtectedTable",
    "ReoffendingBreakdown",
    "ReoffendingInputError",
    "ReoffendingOptions",
    "ReoffendingOptionsError",
    "ReoffendingResult",
    "Suppression",
    "active_participants",
    "count_in_words",
    "disclosure_control",
    "evaluate",
    "financial_year",
    "financial_year_start",
    "proven_reoffending",
    "proven_reoffending_duckdb",
    "read_evaluation_data",
    "read_index_events",
    "read_offences",
]
