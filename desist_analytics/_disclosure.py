"""Disclosure control for published tables (METHODS.md section 2).

A table is a grid of counts, optionally with a total at the end of each row, a total at the
foot of each column and a grand total. Internally the totals are kept with the counts in one
"augmented" grid: with row totals the grid gains a last column, with column totals a last row,
and with both the bottom-right corner is the grand total. Every row and every column of the
augmented grid that ends in a total is a *line*: its last entry is the total of the others, so
if exactly one entry of a line is hidden it can be worked out by subtraction (or, for a hidden
total, by addition). Secondary suppression therefore works line by line on the augmented grid,
and a total is treated like any other entry of its lines.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt


class Suppression(enum.StrEnum):
    """Why an entry of a protected table is hidden (or that it is not)."""

    NONE = "none"
    PRIMARY = "primary"
    SECONDARY = "secondary"


@dataclass(frozen=True)
class DisclosureOptions:
    """How a table is protected before it leaves the system.

    Attributes:
        threshold: counts from 1 up to `threshold - 1` are hidden (default 10, shown "<10").
        suppress_zeros: hide zeros too (default False: a zero is shown as "0").
        rounding_base: when set (e.g. 5), every entry is rounded to the nearest multiple of the
            base (halves upwards) *instead of* being suppressed.
        secondary_symbol: what a secondarily suppressed entry shows (default "[c]", the GSS
            symbol for "confidential"); it is not "<10" because the hidden value need not be
            small.
    """

    threshold: int = 10
    suppress_zeros: bool = False
    rounding_base: int | None = None
    secondary_symbol: str = "[c]"

    def __post_init__(self) -> None:
        if self.threshold < 1:
            raise ValueError("threshold must be at least 1")
        if self.rounding_base is not None and self.rounding_base < 1:
            raise ValueError("rounding_base must be at least 1")

    @property
    def primary_symbol(self) -> str:
        """What a primarily suppressed entry shows, e.g. "<10"."""
        return f"<{self.threshold}"


@dataclass(frozen=True)
class ProtectedTable:
    """A table after disclosure control, ready to render.

    `displayed` and `reasons` are the augmented grid (see the module docstring): the counts,
    then the row total as the last column when `has_row_totals`, and the column totals as the
    last row when `has_column_totals` (the grand total in the corner when both). The properties
    slice it for callers that render the body and the margins separately.

    Attributes:
        displayed: the text to show for each entry.
        reasons: why each entry is hidden (`Suppression.NONE` when it is shown).
        has_row_totals: the last column holds row totals.
        has_column_totals: the last row holds column totals.
        rounded_to: the rounding base when the table was rounded instead of suppressed.
        options: the options used.
    """

    displayed: tuple[tuple[str, ...], ...]
    reasons: tuple[tuple[Suppression, ...], ...]
    has_row_totals: bool
    has_column_totals: bool
    rounded_to: int | None
    options: DisclosureOptions = field(repr=False)

    @property
    def primary(self) -> tuple[tuple[bool, ...], ...]:
        """Mask over `displayed`: True where an entry is hidden as a small count."""
        return tuple(tuple(r is Suppression.PRIMARY for r in row) for row in self.reasons)

    @property
    def secondary(self) -> tuple[tuple[bool, ...], ...]:
        """Mask over `displayed`: True where an entry is hidden to protect another."""
        return tuple(tuple(r is Suppression.SECONDARY for r in row) for row in self.reasons)

    @property
    def suppressed(self) -> tuple[tuple[bool, ...], ...]:
        """Mask over `displayed`: True where an entry is hidden for either reason."""
        return tuple(tuple(r is not Suppression.NONE for r in row) for row in self.reasons)

    @property
    def cells(self) -> tuple[tuple[str, ...], ...]:
        """The displayed counts without the margins."""
        rows = self.displayed[:-1] if self.has_column_totals else self.displayed
        return tuple(row[:-1] if self.has_row_totals else row for row in rows)

    @property
    def row_totals(self) -> tuple[str, ...] | None:
        """The displayed row totals (without the grand total), or None."""
        if not self.has_row_totals:
            return None
        rows = self.displayed[:-1] if self.has_column_totals else self.displayed
        return tuple(row[-1] for row in rows)

    @property
    def column_totals(self) -> tuple[str, ...] | None:
        """The displayed column totals (without the grand total), or None."""
        if not self.has_column_totals:
            return None
        last = self.displayed[-1]
        return last[:-1] if self.has_row_totals else last

    @property
    def grand_total(self) -> str | None:
        """The displayed grand total, or None when the table has not both margins."""
        if self.has_row_totals and self.has_column_totals:
            return self.displayed[-1][-1]
        return None


def disclosure_control(
    counts: npt.ArrayLike,
    *,
    row_totals: bool | npt.ArrayLike = False,
    column_totals: bool | npt.ArrayLike = False,
    grand_total: int | None = None,
    options: DisclosureOptions | None = None,
) -> ProtectedTable:
    """Protect a table of counts: primary and secondary suppression, or rounding.

    Primary suppression hides every count from 1 to `threshold - 1` (and zeros when
    `suppress_zeros`), totals included. Secondary suppression then looks at each line (a row or
    column that ends in a total, including the margins themselves): wherever a line has exactly
    one hidden entry, the smallest other non-zero shown entry of that line is hidden too (ties:
    the first in the line, counts before the total), and this repeats until no line has
    exactly one hidden entry. Lines are examined rows first (top to bottom), then columns (left
    to right), one entry hidden at a time, so the result is deterministic. When a line offers
    no shown non-zero entry, its first shown zero is hidden instead. A total is never hidden
    just for being a total: only when it is itself small, or when it is the only entry left
    that can protect a line.

    With `options.rounding_base` every entry is instead rounded independently to the nearest
    multiple of the base (halves upwards); rounded totals need not add up.

    Args:
        counts: a 2-D grid of non-negative integer counts (rows x columns); a 1-D sequence is
            taken as a single row.
        row_totals: True to add each row's sum as its total; or the totals themselves, one per
            row, when they are not sums (e.g. distinct people across overlapping columns).
        column_totals: as `row_totals`, for the columns.
        grand_total: the grand total when both margins are present and it is not the sum of
            all counts; ignored otherwise.
        options: threshold, zeros, rounding and symbols (defaults as METHODS.md).

    Returns:
        The displayed text and the reason for each hidden entry, over the grid with margins.

    Raises:
        ValueError: counts that are negative, not whole numbers, or a total smaller than one
            of the counts it totals.

    Example:
        >>> table = disclosure_control([[3, 12, 40]], row_totals=True)
        >>> table.displayed
        (('<10', '[c]', '40', '55'),)
    """
    opts = options or DisclosureOptions()
    grid, has_row, has_col = _augmented_grid(counts, row_totals, column_totals, grand_total)
    if opts.rounding_base is not None:
        return _rounded(grid, has_row, has_col, opts.rounding_base, opts)
    reasons = _primary(grid, opts)
    _secondary(grid, reasons, _lines(grid.shape, has_row, has_col))
    displayed = tuple(
        tuple(_display(int(value), reason, opts) for value, reason in zip(row, rrow, strict=True))
        for row, rrow in zip(grid, reasons, strict=True)
    )
    return ProtectedTable(
        displayed=displayed,
        reasons=tuple(tuple(row) for row in reasons),
        has_row_totals=has_row,
        has_column_totals=has_col,
        rounded_to=None,
        options=opts,
    )


def _as_counts(values: npt.ArrayLike, what: str) -> npt.NDArray[np.int64]:
    array = np.asarray(values)
    if array.dtype.kind == "f" and np.all(np.isfinite(array)) and np.all(array == np.round(array)):
        array = array.astype(np.int64)
    if array.size and array.dtype.kind not in "iu":
        raise ValueError(f"{what} must be whole numbers")
    array = array.astype(np.int64)
    if np.any(array < 0):
        raise ValueError(f"{what} must not be negative")
    return array


def _margin(
    given: bool | npt.ArrayLike, sums: npt.NDArray[np.int64], what: str
) -> npt.NDArray[np.int64] | None:
    if isinstance(given, bool):
        return sums if given else None
    totals = _as_counts(given, what)
    if totals.shape != sums.shape:
        raise ValueError(f"{what} needs {sums.shape[0]} values, not {totals.size}")
    return totals


def _augmented_grid(
    counts: npt.ArrayLike,
    row_totals: bool | npt.ArrayLike,
    column_totals: bool | npt.ArrayLike,
    grand_total: int | None,
) -> tuple[npt.NDArray[np.int64], bool, bool]:
    body = _as_counts(counts, "counts")
    if body.ndim == 1:
        body = body.reshape(1, -1)
    if body.ndim != 2:
        raise ValueError("counts must be a 1-D or 2-D grid")
    rows = _margin(row_totals, body.sum(axis=1), "row totals")
    cols = _margin(column_totals, body.sum(axis=0), "column totals")
    if rows is not None and body.shape[1] and np.any(rows < body.max(axis=1)):
        raise ValueError("a row total is smaller than a count in its row")
    if cols is not None and body.shape[0] and np.any(cols < body.max(axis=0)):
        raise ValueError("a column total is smaller than a count in its column")
    grid = body
    if rows is not None:
        grid = np.column_stack([grid, rows])
    if cols is not None:
        corner: list[int] = []
        if rows is not None:
            grand = int(body.sum()) if grand_total is None else grand_total
            if grand < max(int(rows.max(initial=0)), int(cols.max(initial=0))):
                raise ValueError("the grand total is smaller than another total")
            corner = [grand]
        grid = np.vstack([grid, np.concatenate([cols, np.asarray(corner, dtype=np.int64)])])
    return grid, rows is not None, cols is not None


def _lines(shape: tuple[int, ...], has_row: bool, has_col: bool) -> list[list[tuple[int, int]]]:
    """Positions of every line, in the order they are examined: rows, then columns."""
    n_rows, n_cols = shape
    lines: list[list[tuple[int, int]]] = []
    if has_row:
        lines += [[(i, j) for j in range(n_cols)] for i in range(n_rows)]
    if has_col:
        lines += [[(i, j) for i in range(n_rows)] for j in range(n_cols)]
    return lines


def _is_primary(value: int, opts: DisclosureOptions) -> bool:
    if value == 0:
        return opts.suppress_zeros
    return value < opts.threshold


def _primary(grid: npt.NDArray[np.int64], opts: DisclosureOptions) -> list[list[Suppression]]:
    return [
        [Suppression.PRIMARY if _is_primary(int(v), opts) else Suppression.NONE for v in row]
        for row in grid
    ]


def _secondary(
    grid: npt.NDArray[np.int64],
    reasons: list[list[Suppression]],
    lines: list[list[tuple[int, int]]],
) -> None:
    """Hide entries until no line has exactly one hidden entry (changes `reasons`)."""
    while True:
        exposed = next((line for line in lines if _hidden_in(line, reasons) == 1), None)
        if exposed is None:
            return
        i, j = _protector(grid, reasons, exposed)
        reasons[i][j] = Suppression.SECONDARY


def _hidden_in(line: list[tuple[int, int]], reasons: list[list[Suppression]]) -> int:
    return sum(reasons[i][j] is not Suppression.NONE for i, j in line)


def _protector(
    grid: npt.NDArray[np.int64],
    reasons: list[list[Suppression]],
    line: list[tuple[int, int]],
) -> tuple[int, int]:
    """The entry to hide in a line with one hidden entry: smallest non-zero shown, first."""
    shown = [(i, j) for i, j in line if reasons[i][j] is Suppression.NONE]
    non_zero = [(i, j) for i, j in shown if grid[i, j] > 0]
    # min() keeps the first of equal values, and `line` lists counts before the total.
    return min(non_zero or shown, key=lambda pos: int(grid[pos]))


def _display(value: int, reason: Suppression, opts: DisclosureOptions) -> str:
    if reason is Suppression.PRIMARY:
        return opts.primary_symbol
    if reason is Suppression.SECONDARY:
        return opts.secondary_symbol
    return str(value)


def _round_half_up(value: int, base: int) -> int:
    # For an odd base no whole number is halfway; for an even one, halves go up.
    return (value + base // 2) // base * base


def _rounded(
    grid: npt.NDArray[np.int64],
    has_row: bool,
    has_col: bool,
    base: int,
    opts: DisclosureOptions,
) -> ProtectedTable:
    displayed = tuple(tuple(str(_round_half_up(int(v), base)) for v in row) for row in grid)
    return ProtectedTable(
        displayed=displayed,
        reasons=tuple(tuple(Suppression.NONE for _ in row) for row in grid),
        has_row_totals=has_row,
        has_column_totals=has_col,
        rounded_to=base,
        options=opts,
    )


def count_in_words(count: int, options: DisclosureOptions | None = None) -> str:
    """One count of people as a sentence shows it after disclosure control: "fewer than 10"
    when it would be hidden, else the (possibly rounded) count with thousands separators.

    Example:
        >>> count_in_words(7), count_in_words(1234)
        ('fewer than 10', '1,234')
    """
    options = options or DisclosureOptions()
    shown = disclosure_control([[int(count)]], options=options).displayed[0][0]
    return f"fewer than {options.threshold}" if shown.startswith("<") else f"{int(shown):,}"
