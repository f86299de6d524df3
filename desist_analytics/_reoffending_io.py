"""Reading and checking the two input files of proven reoffending (METHODS.md section 3).

Index events (`person_id, event_type, event_date, date_of_birth, sex`, and optionally
`offence_group, previous_offences`) and offences (`person_id, offence_date, disposal_date,
disposal_type, is_breach`) come as CSV or Parquet, told apart by the file name's extension.
Every column is read as text (CSV) or as stored (Parquet), then checked and converted
column by column with vectorised pyarrow and numpy operations; nothing here loops over rows.

Rows are numbered as a spreadsheet shows the file: row 1 is the header and the first record
is row 2, for Parquet too (as if it had been exported with a header), so the same data gives
the same message whatever the format. A problem stops the read with `ReoffendingInputError`
naming the file, the row and the column of the first problem, and listing the next few.

Text values are trimmed of surrounding spaces, tabs and line ends, and a value that is empty
after trimming is blank. Person ids are text; when every id of a file is a plain whole
number (no sign, no leading zero, at most 18 digits) they are held as 64-bit integers, which
is faster and keeps 7 and "7" the same person ("007" is another).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd  # type: ignore[import-untyped]
import pyarrow as pa  # type: ignore[import-untyped]
import pyarrow.compute as pc  # type: ignore[import-untyped]
import pyarrow.csv as pacsv  # type: ignore[import-untyped]
import pyarrow.parquet as pq  # type: ignore[import-untyped]

# Same-day index events are ranked in this order (the first wins), so keep it.
EVENT_TYPES = ("custody_release", "court_noncustodial", "caution", "diversion")
DISPOSAL_TYPES = ("conviction", "caution", "penalty_notice", "diversion", "other")
INDEX_COLUMNS = ("person_id", "event_type", "event_date", "date_of_birth", "sex")
INDEX_OPTIONAL_COLUMNS = ("offence_group", "previous_offences")
OFFENCE_COLUMNS = ("person_id", "offence_date", "disposal_date", "disposal_type", "is_breach")
# The age of criminal responsibility in England and Wales and in Northern Ireland.
MIN_AGE = 10
UNKNOWN = "unknown"
SHOWN_PROBLEMS = 5
FIRST_DATA_ROW = 2  # the header is row 1
CSV_SUFFIXES = (".csv", ".csv.gz", ".csv.bz2", ".csv.zst")
PARQUET_SUFFIXES = (".parquet", ".pq")
CANONICAL_INTEGER = r"^(0|[1-9][0-9]{0,17})$"
WHOLE_NUMBER = r"^[0-9]{1,18}$"
ISO_DATE = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
FLAG_TEXT = ("false", "true", "0", "1")  # position % 2 is the value
# Trimmed from both ends of every text value (the same in the DuckDB path).
TRIM_CHARACTERS = " \t\r\n"

_NAT = np.iinfo(np.int64).min  # numpy's NaT as int64

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]
DayArray = npt.NDArray[np.datetime64]


@dataclass(frozen=True)
class InputProblem:
    """One problem found in an input file.

    Attributes:
        row: the row as a spreadsheet shows it (the first record is row 2), or None for a
            problem with the whole file.
        column: the column, or None when the problem is not about one column.
        message: what is wrong, in words.
    """

    row: int | None
    column: str | None
    message: str

    def where(self) -> str:
        """ "row 5, column event_date", "column sex" or "" (the whole file)."""
        parts = ([f"row {self.row:,}"] if self.row is not None else []) + (
            [f"column {self.column}"] if self.column is not None else []
        )
        return ", ".join(parts)


class ReoffendingInputError(ValueError):
    """An input file cannot be used: the file, row and column of the first problem.

    Attributes:
        file: the file as named by the caller (or the `source` given for a data frame).
        row: the spreadsheet row of the first problem (the first record is row 2), or None.
        column: the column of the first problem, or None.
        message: what is wrong with it.
        problems: the first problems found (up to 5), the first one included, in row order.
        total: how many problems were found in all.
    """

    def __init__(
        self,
        file: str,
        row: int | None,
        column: str | None,
        message: str,
        *,
        more: Sequence[InputProblem] = (),
        total: int | None = None,
    ) -> None:
        self.file = file
        self.row = row
        self.column = column
        self.message = message
        self.problems = (InputProblem(row, column, message), *more)
        self.total = max(total or 0, len(self.problems))
        super().__init__(self._text())

    def _text(self) -> str:
        first = self.problems[0]
        where = first.where()
        lines = [
            f"{self.file}, {where}: {self.message}" if where else f"{self.file}: {self.message}"
        ]
        lines += [f"  also {p.where()}: {p.message}" for p in self.problems[1:]]
        if self.total > len(self.problems):
            lines.append(
                f"  ({self.total:,} problems in all; the first {len(self.problems)} shown)"
            )
        return "\n".join(lines)


@dataclass(frozen=True, eq=False)
class IndexEvents:
    """Index events as typed arrays, one entry per row of the file, in file order.

    Build it with `read_index_events` or `IndexEvents.from_frame`, which check the data;
    entry i is spreadsheet row i + 2 of `source`.

    Attributes:
        person_id: int64 ids, or an object array of str ids (see the module docstring).
        event_type: int8 codes into `EVENT_TYPES` (custody_release, court_noncustodial,
            caution, diversion).
        event_date: the release date for custody, otherwise the disposal date
            (datetime64[D]).
        date_of_birth: datetime64[D].
        sex: object array of str, "unknown" where blank.
        offence_group: object array of str ("unknown" where blank), or None without the
            column.
        previous_offences: int64 counts, -1 where blank, or None without the column.
        source: the file name, used in error messages.
    """

    person_id: npt.NDArray[Any]
    event_type: npt.NDArray[np.int8]
    event_date: DayArray
    date_of_birth: DayArray
    sex: npt.NDArray[np.object_]
    offence_group: npt.NDArray[np.object_] | None = None
    previous_offences: IntArray | None = None
    source: str = "index events"

    def __post_init__(self) -> None:
        arrays = [self.person_id, self.event_type, self.event_date, self.date_of_birth, self.sex]
        arrays += [a for a in (self.offence_group, self.previous_offences) if a is not None]
        if len({a.shape for a in arrays}) != 1 or arrays[0].ndim != 1:
            raise ValueError("the index event arrays differ in length")
        if self.event_date.dtype != "datetime64[D]" or self.date_of_birth.dtype != "datetime64[D]":
            raise ValueError("index event dates must be datetime64[D]")
        codes = self.event_type
        if codes.size and (int(codes.min()) < 0 or int(codes.max()) >= len(EVENT_TYPES)):
            raise ValueError("event_type codes must index EVENT_TYPES")

    def __len__(self) -> int:
        return int(self.person_id.size)

    @classmethod
    def from_frame(cls, frame: Any, source: str = "index events") -> IndexEvents:
        """Check and convert a pandas data frame with the columns of an index events file.

        Args:
            frame: a `pandas.DataFrame` with the columns of the file (text, dates, numbers).
            source: the name to use in error messages.

        Returns:
            The index events, checked exactly as `read_index_events` checks a file.

        Raises:
            ReoffendingInputError: a missing column or a bad value.

        Example:
            >>> import pandas as pd
            >>> events = IndexEvents.from_frame(pd.DataFrame({
            ...     "person_id": ["A1"], "event_type": ["caution"], "event_date": ["2020-01-15"],
            ...     "date_of_birth": ["1990-06-01"], "sex": ["F"]}))
            >>> len(events), events.event_date[0]
            (1, np.datetime64('2020-01-15'))
        """
        return _index_events(_table_from_frame(frame), source)


@dataclass(frozen=True, eq=False)
class Offences:
    """Proven and other offences as typed arrays, one entry per row, in file order.

    Build it with `read_offences` or `Offences.from_frame`; entry i is spreadsheet row i + 2
    of `source`.

    Attributes:
        person_id: int64 ids, or an object array of str ids.
        offence_date: when the offence was committed (datetime64[D]).
        disposal_date: when it was proven or otherwise disposed of (datetime64[D]).
        disposal_type: int8 codes into `DISPOSAL_TYPES` (conviction, caution, penalty_notice,
            diversion, other).
        is_breach: True for a breach of an order or licence.
        source: the file name, used in error messages.
    """

    person_id: npt.NDArray[Any]
    offence_date: DayArray
    disposal_date: DayArray
    disposal_type: npt.NDArray[np.int8]
    is_breach: BoolArray
    source: str = "offences"

    def __post_init__(self) -> None:
        arrays = [
            self.person_id,
            self.offence_date,
            self.disposal_date,
            self.disposal_type,
            self.is_breach,
        ]
        if len({a.shape for a in arrays}) != 1 or arrays[0].ndim != 1:
            raise ValueError("the offence arrays differ in length")
        if (
            self.offence_date.dtype != "datetime64[D]"
            or self.disposal_date.dtype != "datetime64[D]"
        ):
            raise ValueError("offence dates must be datetime64[D]")
        codes = self.disposal_type
        if codes.size and (int(codes.min()) < 0 or int(codes.max()) >= len(DISPOSAL_TYPES)):
            raise ValueError("disposal_type codes must index DISPOSAL_TYPES")

    def __len__(self) -> int:
        return int(self.person_id.size)

    @classmethod
    def from_frame(cls, frame: Any, source: str = "offences") -> Offences:
        """Check and convert a pandas data frame with the columns of an offences file.

        Args:
            frame: a `pandas.DataFrame` with the columns of the file.
            source: the name to use in error messages.

        Returns:
            The offences, checked exactly as `read_offences` checks a file.

        Raises:
            ReoffendingInputError: a missing column or a bad value.

        Example:
            >>> import pandas as pd
            >>> offences = Offences.from_frame(pd.DataFrame({
            ...     "person_id": ["A1"], "offence_date": ["2020-03-01"],
            ...     "disposal_date": ["2020-05-01"], "disposal_type": ["conviction"],
            ...     "is_breach": ["false"]}))
            >>> len(offences), bool(offences.is_breach[0])
            (1, False)
        """
        return _offences(_table_from_frame(frame), source)


def read_index_events(path: str | Path) -> IndexEvents:
    """Read and check an index events file (CSV or Parquet, by extension).

    Columns `person_id, event_type, event_date, date_of_birth, sex` are required and
    `offence_group, previous_offences` optional; others are ignored. `event_type` is one of
    custody_release, court_noncustodial, caution, diversion; dates are `YYYY-MM-DD` (or
    Parquet dates); `previous_offences` is a whole number, blank when not known; a blank
    `sex` or `offence_group` is "unknown". The date of birth must be before the event date,
    and the person at least 10 (the age of criminal responsibility) on it.

    Args:
        path: a `.csv` (optionally `.gz`, `.bz2`, `.zst`) or `.parquet` file.

    Returns:
        The index events, in file order.

    Raises:
        ReoffendingInputError: naming the file, row and column of the first problem (a
            missing column, an unknown event type, an unparseable date, a date of birth
            after the event date, ...).

    Example:
        >>> import tempfile, pathlib
        >>> path = pathlib.Path(tempfile.mkdtemp()) / "index.csv"
        >>> _ = path.write_text(
        ...     "person_id,event_type,event_date,date_of_birth,sex\\n"
        ...     "A1,custdy_release,2020-01-15,1990-06-01,M\\n")
        >>> try:
        ...     read_index_events(path)
        ... except ReoffendingInputError as error:
        ...     print(error.row, error.column, error.message.split(";")[0])
        2 event_type unknown event type 'custdy_release'
    """
    source = str(path)
    return _index_events(_read_table(path, INDEX_COLUMNS, INDEX_OPTIONAL_COLUMNS), source)


def read_offences(path: str | Path) -> Offences:
    """Read and check an offences file (CSV or Parquet, by extension).

    Columns `person_id, offence_date, disposal_date, disposal_type, is_breach` are required;
    others are ignored. `disposal_type` is one of conviction, caution, penalty_notice,
    diversion, other; `is_breach` is true/false or 1/0 (any case); dates are `YYYY-MM-DD`
    and the disposal cannot be before the offence. Whether an offence is before the
    person's date of birth is checked by `proven_reoffending`, which has both files.

    Args:
        path: a `.csv` (optionally compressed) or `.parquet` file.

    Returns:
        The offences, in file order.

    Raises:
        ReoffendingInputError: naming the file, row and column of the first problem.

    Example:
        >>> import tempfile, pathlib
        >>> path = pathlib.Path(tempfile.mkdtemp()) / "offences.csv"
        >>> _ = path.write_text(
        ...     "person_id,offence_date,disposal_date,disposal_type,is_breach\\n"
        ...     "A1,2020-03-01,2020-05-01,caution,0\\n")
        >>> offences = read_offences(path)
        >>> offences.person_id[0], offences.offence_date[0]
        ('A1', np.datetime64('2020-03-01'))
    """
    return _offences(_read_table(path, OFFENCE_COLUMNS, ()), str(path))


# --- reading -------------------------------------------------------------------------------


def file_format(path: str | Path) -> str:
    """ "csv" or "parquet" from the file name, or raise `ReoffendingInputError`."""
    name = str(path).lower()
    if name.endswith(CSV_SUFFIXES):
        return "csv"
    if name.endswith(PARQUET_SUFFIXES):
        return "parquet"
    raise ReoffendingInputError(
        str(path), None, None, "unknown file type: the name must end in .csv or .parquet"
    )


def _read_table(path: str | Path, required: Sequence[str], optional: Sequence[str]) -> Any:
    source = str(path)
    kind = file_format(path)
    if not Path(path).is_file():
        raise ReoffendingInputError(source, None, None, "no such file")
    try:
        names = _column_names(path, kind)
        check_columns(source, names, required)
        wanted = [c for c in (*required, *optional) if c in names]
        if kind == "parquet":
            return pq.read_table(path, columns=wanted)
        return pacsv.read_csv(
            path,
            convert_options=pacsv.ConvertOptions(
                include_columns=wanted,
                column_types=dict.fromkeys(wanted, pa.string()),
                null_values=[""],
                strings_can_be_null=True,
            ),
        )
    except (pa.ArrowInvalid, OSError) as error:
        raise ReoffendingInputError(
            source, None, None, f"cannot be read as {kind}: {error}"
        ) from error


def _column_names(path: str | Path, kind: str) -> list[str]:
    if kind == "parquet":
        return list(pq.read_schema(path).names)
    reader = pacsv.open_csv(
        path,
        convert_options=pacsv.ConvertOptions(column_types={}, strings_can_be_null=True),
        read_options=pacsv.ReadOptions(block_size=1 << 16),
    )
    names = list(reader.schema.names)
    reader.close()
    return names


def check_columns(source: str, names: Sequence[str], required: Sequence[str]) -> None:
    missing = [c for c in required if c not in names]
    if missing:
        raise ReoffendingInputError(
            source,
            None,
            missing[0],
            f"missing column{'s' if len(missing) > 1 else ''} {', '.join(missing)} "
            f"(the file needs {', '.join(required)})",
        )


def _table_from_frame(frame: Any) -> Any:
    if not isinstance(frame, pd.DataFrame):
        raise TypeError("expected a pandas DataFrame")
    return pa.Table.from_pandas(frame.reset_index(drop=True), preserve_index=False)


# --- checking and converting ------------------------------------------------------------------


@dataclass(frozen=True)
class _Check:
    """The rows of one column with a problem, and how to word each."""

    column: str
    bad: BoolArray
    message: Callable[[int], str]


def _raise_problems(source: str, columns: Sequence[str], checks: Sequence[_Check]) -> None:
    """Raise for the first few problems, in row then column order (nothing if none)."""
    candidates: list[tuple[int, int, _Check]] = []
    total = 0
    for check in checks:
        rows = np.flatnonzero(check.bad)
        total += rows.size
        position = columns.index(check.column)
        candidates += [(int(r), position, check) for r in rows[:SHOWN_PROBLEMS]]
    if not total:
        return
    candidates.sort(key=lambda c: (c[0], c[1]))
    problems = [
        InputProblem(r + FIRST_DATA_ROW, check.column, check.message(r))
        for r, _, check in candidates[:SHOWN_PROBLEMS]
    ]
    first = problems[0]
    raise ReoffendingInputError(
        source, first.row, first.column, first.message, more=problems[1:], total=total
    )


def _index_events(table: Any, source: str) -> IndexEvents:
    check_columns(source, table.column_names, INDEX_COLUMNS)
    n = table.num_rows
    ids, id_blank = _person_ids(_column(table, "person_id"))
    types, type_text = _choice(_column(table, "event_type"), EVENT_TYPES)
    event, event_blank, event_invalid, event_text = _dates(_column(table, "event_date"))
    birth, birth_blank, birth_invalid, birth_text = _dates(_column(table, "date_of_birth"))
    both = ~(event_blank | event_invalid | birth_blank | birth_invalid)
    age = np.zeros(n, dtype=np.int64)
    age[both] = years_between(birth[both].view(np.int64), event[both].view(np.int64))
    born_after = both & (birth > event)
    too_young = both & ~born_after & (age < MIN_AGE)
    checks = [
        _Check("person_id", id_blank, lambda _: blank_message("person_id")),
        _Check(
            "event_type",
            types < 0,
            lambda r: choice_message("event_type", "event type", type_text(r), EVENT_TYPES),
        ),
        _Check(
            "event_date",
            event_blank | event_invalid,
            lambda r: date_message("event_date", event_text(r)),
        ),
        _Check(
            "date_of_birth",
            birth_blank | birth_invalid | born_after | too_young,
            lambda r: (
                born_after_message(iso(birth[r]), iso(event[r]))
                if born_after[r]
                else too_young_message(int(age[r]), iso(event[r]))
                if too_young[r]
                else date_message("date_of_birth", birth_text(r))
            ),
        ),
    ]
    offence_group = None
    if "offence_group" in table.column_names:
        offence_group = _labels(_column(table, "offence_group"))
    previous = None
    if "previous_offences" in table.column_names:
        previous, previous_invalid, previous_text = _counts(_column(table, "previous_offences"))
        checks.append(
            _Check(
                "previous_offences",
                previous_invalid,
                lambda r: count_message(previous_text(r)),
            )
        )
    _raise_problems(source, (*INDEX_COLUMNS, *INDEX_OPTIONAL_COLUMNS), checks)
    return IndexEvents(
        person_id=ids,
        event_type=types,
        event_date=event,
        date_of_birth=birth,
        sex=_labels(_column(table, "sex")),
        offence_group=offence_group,
        previous_offences=previous,
        source=source,
    )


def _offences(table: Any, source: str) -> Offences:
    check_columns(source, table.column_names, OFFENCE_COLUMNS)
    ids, id_blank = _person_ids(_column(table, "person_id"))
    committed, committed_blank, committed_invalid, committed_text = _dates(
        _column(table, "offence_date")
    )
    disposed, disposed_blank, disposed_invalid, disposed_text = _dates(
        _column(table, "disposal_date")
    )
    types, type_text = _choice(_column(table, "disposal_type"), DISPOSAL_TYPES)
    breach, breach_invalid, breach_text = _flags(_column(table, "is_breach"))
    both = ~(committed_blank | committed_invalid | disposed_blank | disposed_invalid)
    disposed_first = both & (disposed < committed)
    checks = [
        _Check("person_id", id_blank, lambda _: blank_message("person_id")),
        _Check(
            "offence_date",
            committed_blank | committed_invalid,
            lambda r: date_message("offence_date", committed_text(r)),
        ),
        _Check(
            "disposal_date",
            disposed_blank | disposed_invalid | disposed_first,
            lambda r: (
                disposal_first_message(iso(disposed[r]), iso(committed[r]))
                if disposed_first[r]
                else date_message("disposal_date", disposed_text(r))
            ),
        ),
        _Check(
            "disposal_type",
            types < 0,
            lambda r: choice_message(
                "disposal_type", "disposal type", type_text(r), DISPOSAL_TYPES
            ),
        ),
        _Check("is_breach", breach_invalid, lambda r: flag_message(breach_text(r))),
    ]
    _raise_problems(source, OFFENCE_COLUMNS, checks)
    return Offences(
        person_id=ids,
        offence_date=committed,
        disposal_date=disposed,
        disposal_type=types,
        is_breach=breach,
        source=source,
    )


def _column(table: Any, name: str) -> Any:
    """One column as a single array; dictionary and large or view text as plain text."""
    column = table.column(name)
    array = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
    if pa.types.is_dictionary(array.type):
        array = array.dictionary_decode()
    if pa.types.is_large_string(array.type) or pa.types.is_string_view(array.type):
        array = pc.cast(array, pa.string())
    return array


def _trimmed(array: Any) -> Any:
    """Text with surrounding spaces removed; blank (empty) values become null."""
    text = array if pa.types.is_string(array.type) else pc.cast(array, pa.string())
    text = pc.utf8_trim(text, characters=TRIM_CHARACTERS)
    return pc.if_else(pc.equal(text, ""), pa.scalar(None, pa.string()), text)


def _dictionary(array: Any) -> tuple[npt.NDArray[np.int64], list[str | None]]:
    """Codes (-1 for blank) into the distinct trimmed values, for low-cardinality text.

    Working on the few distinct values instead of every row is what keeps this fast.
    """
    text = array if pa.types.is_string(array.type) else pc.cast(array, pa.string())
    encoded = text.dictionary_encode()
    values = _trimmed(encoded.dictionary).to_pylist()
    codes = pc.fill_null(encoded.indices, -1).to_numpy(zero_copy_only=False).astype(np.int64)
    if values:
        # Values that are blank after trimming count as missing too.
        blank = np.array([v is None for v in values] + [True])
        codes[blank[codes]] = -1
    return codes, values


def _text_at(codes: npt.NDArray[np.int64], values: list[str | None]) -> Callable[[int], str]:
    return lambda r: "" if codes[r] < 0 else str(values[codes[r]])


def _choice(
    array: Any, allowed: Sequence[str]
) -> tuple[npt.NDArray[np.int8], Callable[[int], str]]:
    """Codes into `allowed` (-1 for blank or anything else) and the text of each row."""
    codes, values = _dictionary(array)
    position = {value: i for i, value in enumerate(allowed)}
    lookup = np.array([position.get(v, -1) if v is not None else -1 for v in values] + [-1])
    return lookup[codes].astype(np.int8), _text_at(codes, values)


def _labels(array: Any) -> npt.NDArray[np.object_]:
    """Trimmed text per row as an object array, "unknown" where blank."""
    codes, values = _dictionary(array)
    labels = np.array([v if v is not None else UNKNOWN for v in values] + [UNKNOWN], dtype=object)
    return np.asarray(labels[codes], dtype=object)


def _flags(array: Any) -> tuple[BoolArray, BoolArray, Callable[[int], str]]:
    """true/false or 1/0 (any case) as booleans, the rows that are neither, and their text."""
    if pa.types.is_boolean(array.type):
        flags = pc.fill_null(array, False).to_numpy(zero_copy_only=False).astype(bool)
        invalid = array.is_null().to_numpy(zero_copy_only=False)
        return flags, invalid, lambda _: ""
    codes, values = _dictionary(array)
    position = {text: i for i, text in enumerate(FLAG_TEXT)}
    lookup = np.array([position.get((v or "").lower(), -1) for v in values] + [-1])
    flag_code = lookup[codes]
    return flag_code % 2 == 1, flag_code < 0, _text_at(codes, values)


def _person_ids(array: Any) -> tuple[npt.NDArray[Any], BoolArray]:
    """Ids as int64 when they are integers (or all plain whole numbers), else str objects."""
    if pa.types.is_integer(array.type):
        blank = array.is_null().to_numpy(zero_copy_only=False)
        ids = pc.fill_null(pc.cast(array, pa.int64()), 0).to_numpy(zero_copy_only=False)
        return ids.astype(np.int64), blank
    text = _trimmed(array)
    blank = text.is_null().to_numpy(zero_copy_only=False)
    if not blank.any() and pc.all(pc.match_substring_regex(text, CANONICAL_INTEGER)).as_py() in (
        True,
        None,
    ):
        return pc.cast(text, pa.int64()).to_numpy(zero_copy_only=False).astype(np.int64), blank
    ids = pc.fill_null(text, "").to_numpy(zero_copy_only=False)
    return np.asarray(ids, dtype=object), blank


def _dates(array: Any) -> tuple[DayArray, BoolArray, BoolArray, Callable[[int], str]]:
    """Days (NaT where blank or invalid), the blank rows, the invalid rows, and row text."""
    kind = array.type
    if pa.types.is_date(kind) or pa.types.is_timestamp(kind):
        days = pc.cast(array, pa.date32(), safe=False)
        blank = days.is_null().to_numpy(zero_copy_only=False)
        return _as_days(days), blank, np.zeros(len(array), dtype=bool), lambda _: ""
    if not pa.types.is_string(kind):
        text = _trimmed(array)
        blank = text.is_null().to_numpy(zero_copy_only=False)
        nat = np.full(len(array), np.datetime64("NaT"), dtype="datetime64[D]")
        return nat, blank, ~blank, _text_of(text)
    try:
        # The fast path: every value is an ISO date already (or null, from an empty CSV cell).
        days = pc.cast(array, pa.date32())
        return (
            _as_days(days),
            days.is_null().to_numpy(zero_copy_only=False),
            _none(array),
            _text_of(array),
        )
    except pa.ArrowInvalid:
        pass
    text = _trimmed(array)
    blank = text.is_null().to_numpy(zero_copy_only=False)
    try:
        days = pc.cast(text, pa.date32())
        return _as_days(days), blank, _none(array), _text_of(text)
    except pa.ArrowInvalid:
        pass
    # Some value is not a date: find which. strptime alone accepts 2020-02-30 (as 1 March),
    # so a value is a date when it has the ISO shape and formats back to itself.
    shaped = pc.fill_null(pc.match_substring_regex(text, ISO_DATE), False)
    parsed = pc.strptime(
        pc.if_else(shaped, text, None), format="%Y-%m-%d", unit="s", error_is_null=True
    )
    same = pc.fill_null(pc.equal(pc.strftime(parsed, format="%Y-%m-%d"), text), False)
    valid = same.to_numpy(zero_copy_only=False)
    days = _as_days(pc.cast(pc.if_else(same, parsed, None), pa.date32()))
    return days, blank, ~blank & ~valid, _text_of(text)


def _counts(array: Any) -> tuple[IntArray, BoolArray, Callable[[int], str]]:
    """Whole numbers 0 or more (-1 where blank), the rows that are not, and row text."""
    kind = array.type
    if pa.types.is_integer(kind):
        values = pc.fill_null(pc.cast(array, pa.int64()), -1).to_numpy(zero_copy_only=False)
        present = array.is_valid().to_numpy(zero_copy_only=False)
        invalid = present & (values < 0)
        return np.where(invalid, -1, values).astype(np.int64), invalid, _text_of(_trimmed(array))
    if pa.types.is_floating(kind):
        # Whole floats (as pandas writes an integer column with gaps) count; NaN is blank.
        number = array.to_numpy(zero_copy_only=False).astype(np.float64)
        present = ~np.isnan(number)
        whole = present & (np.floor(number) == number) & (number >= 0) & (number < 1e18)
        values = np.where(whole, number, -1).astype(np.int64)
        return values, present & ~whole, lambda r: repr(float(number[r]))
    text = _trimmed(array)
    shaped = pc.fill_null(pc.match_substring_regex(text, WHOLE_NUMBER), False)
    present = text.is_valid().to_numpy(zero_copy_only=False)
    invalid = present & ~shaped.to_numpy(zero_copy_only=False)
    values = pc.fill_null(pc.cast(pc.if_else(shaped, text, None), pa.int64()), -1)
    return values.to_numpy(zero_copy_only=False).astype(np.int64), invalid, _text_of(text)


def _as_days(days: Any) -> DayArray:
    values = pc.fill_null(pc.cast(days, pa.int32()), 0).to_numpy(zero_copy_only=False)
    out = np.asarray(values, dtype=np.int64)
    out[days.is_null().to_numpy(zero_copy_only=False)] = _NAT
    return out.view("datetime64[D]")


def _none(array: Any) -> BoolArray:
    return np.zeros(len(array), dtype=bool)


def _text_of(text: Any) -> Callable[[int], str]:
    return lambda r: "" if text[r].as_py() is None else str(text[r].as_py())


# --- shared with the engine and the DuckDB path --------------------------------------------


def years_between(birth: IntArray, day: IntArray) -> IntArray:
    """Whole years from each birth date to each day (both as days since 1970-01-01).

    A birthday counts from the day itself; someone born on 29 February has their birthday
    on 1 March in other years (as in UK law).

    Example:
        >>> born = np.array(["2002-03-10", "2004-02-29"], dtype="datetime64[D]").view(np.int64)
        >>> on = np.array(["2020-03-10", "2022-02-28"], dtype="datetime64[D]").view(np.int64)
        >>> years_between(born, on).tolist()
        [18, 17]
    """
    born_year, born_month_day = _year_and_month_day(birth)
    year, month_day = _year_and_month_day(day)
    return np.asarray(year - born_year - (month_day < born_month_day), dtype=np.int64)


def _year_and_month_day(days: IntArray) -> tuple[IntArray, IntArray]:
    day = days.astype("datetime64[D]")
    month = day.astype("datetime64[M]")
    year = month.astype("datetime64[Y]").astype(np.int64) + 1970
    month_of_year = month.astype(np.int64) % 12 + 1
    day_of_month = (day - month.astype("datetime64[D]")).astype(np.int64) + 1
    return year, month_of_year * 32 + day_of_month


def iso(day: Any) -> str:
    """A date (numpy, Python or pandas) as YYYY-MM-DD."""
    if isinstance(day, dt.date):
        return day.isoformat()
    return str(np.datetime64(day, "D"))


def blank_message(column: str) -> str:
    return f"{column} is blank"


def choice_message(column: str, what: str, text: str, allowed: Sequence[str]) -> str:
    if not text:
        return blank_message(column)
    return f"unknown {what} {text!r}; expected one of {', '.join(allowed)}"


def date_message(column: str, text: str) -> str:
    if not text:
        return blank_message(column)
    return f"{text!r} is not a date in the form YYYY-MM-DD"


def born_after_message(birth: str, event: str) -> str:
    return f"date of birth {birth} is after the event date {event}"


def too_young_message(age: int, event: str) -> str:
    return (
        f"the person was {age} on the event date {event}, under the age of criminal "
        f"responsibility ({MIN_AGE})"
    )


def disposal_first_message(disposal: str, offence: str) -> str:
    return f"disposal date {disposal} is before the offence date {offence}"


def flag_message(text: str) -> str:
    if not text:
        return blank_message("is_breach")
    return f"{text!r} is not true/false or 1/0"


def count_message(text: str) -> str:
    return f"{text!r} is not a number of previous offences (a whole number, 0 or more)"


def before_birth_message(offence: str, birth: str, person: object) -> str:
    return f"offence date {offence} is before the date of birth {birth} of person {person}"
