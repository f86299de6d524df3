"""Disclosure control (METHODS.md section 2) on tables worked out by hand.

Notation in the comments: `*` marks a primary suppression (a count from 1 to 9), `c` a
secondary one. Lines are examined rows first (top to bottom, the column-totals row last), then
columns (left to right, the row-totals column last); the first line with exactly one hidden
entry gets its smallest shown non-zero entry hidden, and the scan starts again.
"""

import doctest

import pytest

import desist_analytics
from desist_analytics import DisclosureOptions, Suppression, _disclosure, disclosure_control

N, P, S = Suppression.NONE, Suppression.PRIMARY, Suppression.SECONDARY


def test_small_counts_are_shown_as_below_the_threshold_and_zeros_are_shown() -> None:
    # No totals, so only primary suppression: 1..9 hidden, 0 and 10+ shown.
    table = disclosure_control([[0, 1, 9, 10, 25]])
    assert table.displayed == (("0", "<10", "<10", "10", "25"),)
    assert table.reasons == ((N, P, P, N, N),)


def test_zeros_are_hidden_when_asked() -> None:
    table = disclosure_control([[0, 12]], options=DisclosureOptions(suppress_zeros=True))
    assert table.displayed == (("<10", "12"),)


def test_the_threshold_is_configurable() -> None:
    table = disclosure_control([[4, 5]], options=DisclosureOptions(threshold=5))
    assert table.displayed == (("<5", "5"),)


def test_a_one_way_table_hides_the_smallest_other_cell_when_one_is_hidden() -> None:
    # 3 | 12 | 40 || 55. 3 is primary; the row would give 3 = 55 - 12 - 40, so the smallest
    # other non-zero entry, 12, is hidden too. Two hidden: 3 + 12 = 15 but neither is known.
    table = disclosure_control([3, 12, 40], row_totals=True)
    assert table.displayed == (("<10", "[c]", "40", "55"),)
    assert table.reasons == ((P, S, N, N),)
    assert table.cells == (("<10", "[c]", "40"),)
    assert table.row_totals == ("55",)
    assert table.column_totals is None
    assert table.grand_total is None


def test_a_one_way_table_with_two_small_cells_needs_no_secondary_suppression() -> None:
    # 3 | 4 | 40 || 47: two entries hidden already.
    table = disclosure_control([3, 4, 40], row_totals=True)
    assert table.displayed == (("<10", "<10", "40", "47"),)


def test_ties_go_to_the_first_cell_and_zeros_are_not_used_to_protect() -> None:
    # 2 | 15 | 15 | 30 || 62: the two 15s tie, the first is hidden.
    tie = disclosure_control([2, 15, 15, 30], row_totals=True)
    assert tie.displayed == (("<10", "[c]", "15", "30", "62"),)
    # 4 | 0 | 20 | 11 || 35: 0 is the smallest but hiding a zero protects nothing; 11 is next.
    zero = disclosure_control([4, 0, 20, 11], row_totals=True)
    assert zero.displayed == (("<10", "0", "20", "[c]", "35"),)


def test_a_small_total_is_itself_hidden() -> None:
    # 3 | 0 || 3: the total is a small count too, so the line already has two hidden.
    table = disclosure_control([3, 0], row_totals=True)
    assert table.displayed == (("<10", "0", "<10"),)
    assert table.reasons == ((P, N, P),)


def test_a_given_total_is_hidden_when_it_is_the_only_entry_left_to_protect() -> None:
    # Totals of distinct people need not be sums. 5 | 0 || 12: 5 is primary; the only shown
    # non-zero entry in the line is the total, so it is hidden.
    table = disclosure_control([5, 0], row_totals=[12])
    assert table.displayed == (("<10", "0", "[c]"),)
    # 0 | 0 || 5 (five people with no recorded value): the total is primary, and with no
    # non-zero entry left the first zero is hidden, so the line has two hidden.
    only_zeros = disclosure_control([0, 0], row_totals=[5])
    assert only_zeros.displayed == (("[c]", "0", "<10"),)


def test_a_two_way_table_needs_secondary_suppression() -> None:
    #          A    B    C || total
    #   r1     4   30   20 ||  54
    #   r2     6   40   25 ||  71
    #   total 10   70   45 || 125
    # Primary: 4 and 6. Row r1 has one hidden (4): smallest other non-zero of 30, 20, 54 is
    # 20 -> c. Row r2 has one hidden (6): of 40, 25, 71 the smallest is 25 -> c. Now rows r1
    # and r2 have two hidden each, the totals row none, columns A and C two each, B and the
    # totals column none: done.
    table = disclosure_control([[4, 30, 20], [6, 40, 25]], row_totals=True, column_totals=True)
    assert table.displayed == (
        ("<10", "30", "[c]", "54"),
        ("<10", "40", "[c]", "71"),
        ("10", "70", "45", "125"),
    )
    assert table.primary == (
        (True, False, False, False),
        (True, False, False, False),
        (False, False, False, False),
    )
    assert table.secondary == (
        (False, False, True, False),
        (False, False, True, False),
        (False, False, False, False),
    )
    assert table.suppressed[0] == (True, False, True, False)
    assert table.cells == (("<10", "30", "[c]"), ("<10", "40", "[c]"))
    assert table.row_totals == ("54", "71")
    assert table.column_totals == ("10", "70", "45")
    assert table.grand_total == "125"


def test_secondary_suppression_cascades_across_rows_and_columns() -> None:
    #          A    B    C || total
    #   r1    12    3   20 ||  35
    #   r2    15   18   25 ||  58
    #   total 27   21   45 ||  93
    # Primary: 3 (r1, B).
    # Pass 1: row r1 has one hidden; of 12, 20, 35 the smallest is 12 -> c (r1, A).
    # Pass 2: rows fine (r1 two, r2 none, totals none); column A now has one hidden (12); of
    #         15 and 27 the smallest is 15 -> c (r2, A).
    # Pass 3: row r2 has one hidden (15); of 18, 25, 58 the smallest is 18 -> c (r2, B).
    # Pass 4: rows two, two, none; columns A two, B two (3 and 18), C none, totals none: done.
    table = disclosure_control([[12, 3, 20], [15, 18, 25]], row_totals=True, column_totals=True)
    assert table.displayed == (
        ("[c]", "<10", "20", "35"),
        ("[c]", "[c]", "25", "58"),
        ("27", "21", "45", "93"),
    )
    assert table.reasons == (
        (S, P, N, N),
        (S, S, N, N),
        (N, N, N, N),
    )


def test_a_small_column_total_is_protected_in_the_totals_row() -> None:
    #          A    B || total
    #   r1     2   30 ||  32
    #   r2     3   40 ||  43
    #   total  5   70 ||  75
    # Primary: 2, 3 and the column total 5.
    # Row r1 has one hidden (2): of 30, 32 -> 30 c. Row r2 (3): of 40, 43 -> 40 c.
    # Totals row has one hidden (5): of 70, 75 -> 70 c. Rows now two each; columns A three,
    # B three, totals column none: done.
    table = disclosure_control([[2, 30], [3, 40]], row_totals=True, column_totals=True)
    assert table.displayed == (
        ("<10", "[c]", "32"),
        ("<10", "[c]", "43"),
        ("<10", "[c]", "75"),
    )
    assert table.reasons == ((P, S, N), (P, S, N), (P, S, N))


def test_column_totals_alone_protect_columns() -> None:
    #   A    B
    #   7   50
    #  20   60
    #  27  110   (column totals)
    # Column A has one hidden (7): of 20, 27 -> 20 c. Column B none.
    table = disclosure_control([[7, 50], [20, 60]], column_totals=True)
    assert table.displayed == (("<10", "50"), ("[c]", "60"), ("27", "110"))
    assert table.row_totals is None
    assert table.column_totals == ("27", "110")


def test_rounding_replaces_suppression() -> None:
    # Base 5, halves upwards: 2 -> 0, 7 -> 5, 8 -> 10, 12 -> 10; total 29 -> 30 (rounded on
    # its own, so it need not equal the sum of the rounded cells, 25).
    table = disclosure_control(
        [2, 7, 8, 12], row_totals=True, options=DisclosureOptions(rounding_base=5)
    )
    assert table.displayed == (("0", "5", "10", "10", "30"),)
    assert table.rounded_to == 5
    assert table.suppressed == ((False,) * 5,)


def test_rounding_to_an_even_base_takes_halves_upwards() -> None:
    # Base 10: 14 -> 10, 15 -> 20, 0 -> 0.
    table = disclosure_control([[14, 15, 0]], options=DisclosureOptions(rounding_base=10))
    assert table.displayed == (("10", "20", "0"),)


def test_secondarily_hidden_entries_use_their_own_symbol() -> None:
    options = DisclosureOptions(secondary_symbol="*")
    table = disclosure_control([3, 12, 40], row_totals=True, options=options)
    assert table.displayed == (("<10", "*", "40", "55"),)


@pytest.mark.parametrize(
    ("counts", "kwargs", "message"),
    [
        ([[-1, 3]], {}, "negative"),
        ([[1.5, 3]], {}, "whole numbers"),
        ([[20, 3]], {"row_totals": [10]}, "row total is smaller"),
        ([[20, 3]], {"row_totals": [10, 11]}, "needs 1 values"),
        ([[[1]]], {}, "1-D or 2-D"),
    ],
)
def test_bad_tables_are_refused(counts: object, kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        disclosure_control(counts, **kwargs)  # type: ignore[arg-type]


def test_bad_options_are_refused() -> None:
    with pytest.raises(ValueError, match="threshold"):
        DisclosureOptions(threshold=0)
    with pytest.raises(ValueError, match="rounding_base"):
        DisclosureOptions(rounding_base=0)


def test_whole_floats_are_accepted_as_counts() -> None:
    assert disclosure_control([[3.0, 12.0]]).displayed == (("<10", "12"),)


def test_docstring_examples_hold() -> None:
    assert doctest.testmod(_disclosure).failed == 0


def test_the_public_surface_is_small() -> None:
    assert set(desist_analytics.__all__) == {
        "ActiveParticipants",
        "BalanceRow",
        "DisclosureOptions",
        "EvaluationInputError",
        "EvaluationOptions",
        "EvaluationOptionsError",
        "EvaluationResult",
        "OutcomeEstimate",
        "evaluate",
        "read_evaluation_data",
        "IndexEvents",
        "InputProblem",
        "Offences",
        "ProtectedTable",
        "ReoffendingBreakdown",
        "ReoffendingInputError",
        "ReoffendingOptions",
        "ReoffendingOptionsError",
        "ReoffendingResult",
        "Suppression",
        "proven_reoffending",
        "proven_reoffending_duckdb",
        "read_index_events",
        "read_offences",
        "active_participants",
        "count_in_words",
        "disclosure_control",
        "financial_year",
        "financial_year_start",
    }


def test_a_count_in_words_is_hidden_below_the_threshold_and_rounded_when_asked() -> None:
    assert desist_analytics.count_in_words(9) == "fewer than 10"
    assert desist_analytics.count_in_words(0) == "0"
    assert desist_analytics.count_in_words(12_345) == "12,345"
    assert desist_analytics.count_in_words(4, DisclosureOptions(threshold=3)) == "4"
    assert desist_analytics.count_in_words(12, DisclosureOptions(rounding_base=5)) == "10"
