"""Proven reoffending computed by DuckDB over Parquet files, for data larger than memory.

The same rules, checks and measures as `proven_reoffending` (in `_reoffending`), written as
SQL so that DuckDB streams the files and spills to disk within a memory limit instead of
holding every row in memory. The results are identical, down to the error messages: the
two are tested against each other. The steps, each one SQL statement:

1. Check the columns of every file, then one scan per input for bad values (the same
   checks, wording and row numbers as the in-memory readers).
2. `cohort`: the first index event per person in the cohort period
   (`QUALIFY row_number() OVER (PARTITION BY person_id ORDER BY event_date, type rank,
   file, row) = 1`), with the last days of its follow-up and waiting period.
3. `tallies`: offences joined to the cohort, grouped by person: proven reoffences, the
   first one's date, and offences before the date of birth (an error).
4. `per_person`: the cohort left-joined to its tallies, with the breakdown values.
5. One `GROUP BY` per breakdown (and one for the whole cohort) gives the counts and
   medians; the rates are worked out from them in Python, exactly as in memory.

Every statement is plain SQL over two tables, so the same queries run on Spark SQL with
few changes (`read_parquet` becomes a table over the files, `to_months(n)` becomes
`add_months`, `QUALIFY` a filtered subquery); docs/reoffending.md has the details.
"""

from __future__ import annotations

import glob
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from desist_analytics._reoffending import (
    ADULT_AGE,
    AGE_BANDS,
    FIRST_WITHIN_MONTHS,
    PREVIOUS_OFFENCE_BANDS,
    YOUTH_LABEL,
    ReoffendingBreakdown,
    ReoffendingMeasures,
    ReoffendingOptions,
    ReoffendingResult,
    breakdown_categories,
    missing_column_error,
)
from desist_analytics._reoffending_io import (
    DISPOSAL_TYPES,
    EVENT_TYPES,
    FIRST_DATA_ROW,
    FLAG_TEXT,
    INDEX_COLUMNS,
    MIN_AGE,
    OFFENCE_COLUMNS,
    SHOWN_PROBLEMS,
    TRIM_CHARACTERS,
    UNKNOWN,
    InputProblem,
    ReoffendingInputError,
    before_birth_message,
    blank_message,
    born_after_message,
    check_columns,
    choice_message,
    count_message,
    date_message,
    disposal_first_message,
    file_format,
    flag_message,
    iso,
    too_young_message,
)

if TYPE_CHECKING:
    import duckdb

_INTEGER_TYPES = frozenset(
    {"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "UTINYINT", "USMALLINT", "UINTEGER"}
)
_FLOAT_TYPES = frozenset({"FLOAT", "DOUBLE", "REAL"})
_TRIM = " || ".join(f"chr({ord(c)})" for c in TRIM_CHARACTERS)


def proven_reoffending_duckdb(
    index_events: str | Path | Sequence[str | Path],
    offences: str | Path | Sequence[str | Path],
    options: ReoffendingOptions,
    *,
    per_person_out: str | Path | None = None,
    memory_limit: str = "2GB",
    threads: int | None = None,
    temp_directory: str | Path | None = None,
) -> ReoffendingResult:
    """Proven reoffending from Parquet files, by DuckDB within a memory limit.

    Gives the same result as `proven_reoffending(read_index_events(...),
    read_offences(...), options)` (the same checks and errors too), without reading the
    files into memory: DuckDB streams them and spills to `temp_directory` when the work
    does not fit in `memory_limit`.

    Args:
        index_events: a Parquet file, a glob such as "index/*.parquet", or a list of them,
            with the columns of an index events file. Several files are one table (their
            columns united by name); same-day ties between files go by file name.
        offences: the same, with the columns of an offences file.
        options: as for `proven_reoffending`.
        per_person_out: when given, the per-person table is written there (CSV or
            Parquet, by extension) in person-id order instead of being returned.
        memory_limit: DuckDB's memory limit, e.g. "2GB".
        threads: DuckDB worker threads (default: one per core).
        temp_directory: where DuckDB spills (default: a temporary directory, removed after).

    Returns:
        The result; `per_person` is None (see `per_person_out`).

    Raises:
        ReoffendingInputError: as the readers and `proven_reoffending` raise, naming the
            file (of several, the one with the problem), row and column.

    Example:
        >>> import datetime as dt, pathlib, tempfile
        >>> import pyarrow as pa, pyarrow.parquet as pq
        >>> folder = pathlib.Path(tempfile.mkdtemp())
        >>> pq.write_table(pa.table({
        ...     "person_id": [1, 2], "event_type": ["caution", "custody_release"],
        ...     "event_date": ["2020-01-15", "2020-02-01"],
        ...     "date_of_birth": ["1990-06-01", "2001-03-01"], "sex": ["F", "M"]}),
        ...     folder / "index.parquet")
        >>> pq.write_table(pa.table({
        ...     "person_id": [1], "offence_date": ["2020-03-01"],
        ...     "disposal_date": ["2020-05-01"], "disposal_type": ["conviction"],
        ...     "is_breach": [False]}), folder / "offences.parquet")
        >>> result = proven_reoffending_duckdb(
        ...     folder / "index.parquet", folder / "offences.parquet",
        ...     ReoffendingOptions(cohort_start=dt.date(2020, 1, 1),
        ...         cohort_end=dt.date(2020, 12, 31), extract_date=dt.date(2022, 6, 30)))
        >>> result.cohort_size, result.binary_rate, result.mean_days_to_first
        (2, 0.5, 46.0)
    """
    import duckdb  # here, so that importing the library does not load DuckDB

    index_files = _files(index_events)
    offence_files = _files(offences)
    with tempfile.TemporaryDirectory(prefix="desist-reoffending-") as spill:
        config: dict[str, Any] = {
            "memory_limit": memory_limit,
            "temp_directory": str(temp_directory or spill),
            "preserve_insertion_order": False,
        }
        if threads is not None:
            config["threads"] = threads
        with duckdb.connect(":memory:", config=config) as con:
            return _run(con, index_files, offence_files, options, per_person_out)


def _files(given: str | Path | Sequence[str | Path]) -> list[str]:
    """The Parquet files named, globs expanded (sorted); as given, for error messages."""
    names = [given] if isinstance(given, str | Path) else list(given)
    files: list[str] = []
    for name in names:
        text = str(name)
        if any(c in text for c in "*?["):
            matched = sorted(glob.glob(text))
            if not matched:
                raise ReoffendingInputError(text, None, None, "no file matches")
            files += matched
        else:
            files.append(text)
    if not files:
        raise ValueError("no input files given")
    for file in files:
        if file_format(file) != "parquet":
            raise ReoffendingInputError(
                file, None, None, "the DuckDB path reads Parquet files (.parquet) only"
            )
        if not Path(file).is_file():
            raise ReoffendingInputError(file, None, None, "no such file")
    return files


@dataclass(frozen=True)
class _Source:
    """A set of Parquet files read as one table, and the types of its columns."""

    files: list[str]
    types: dict[str, str]

    @property
    def first(self) -> str:
        return self.files[0]

    def scan(self) -> str:
        paths = ", ".join(_literal(f) for f in self.files)
        return (
            f"read_parquet([{paths}], filename = true, file_row_number = true, "
            "union_by_name = true)"
        )


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _quoted(column: str) -> str:
    return '"' + column.replace('"', '""') + '"'


def _source(con: duckdb.DuckDBPyConnection, files: list[str], required: Sequence[str]) -> _Source:
    import duckdb

    types: dict[str, str] = {}
    for file in files:
        try:
            described = con.execute("DESCRIBE SELECT * FROM read_parquet(?)", [file])
        except duckdb.Error as error:
            raise ReoffendingInputError(
                file, None, None, f"cannot be read as parquet: {error}"
            ) from error
        columns = {str(row[0]): str(row[1]) for row in described.fetchall()}
        check_columns(file, list(columns), required)
        for name, kind in columns.items():
            types.setdefault(name, kind)
    return _Source(files, types)


def _run(
    con: duckdb.DuckDBPyConnection,
    index_files: list[str],
    offence_files: list[str],
    options: ReoffendingOptions,
    per_person_out: str | Path | None,
) -> ReoffendingResult:
    index = _source(con, index_files, INDEX_COLUMNS)
    offence = _source(con, offence_files, OFFENCE_COLUMNS)
    id_type = (
        "BIGINT"
        if _integer_ids(con, index, "person_id") and _integer_ids(con, offence, "person_id")
        else "VARCHAR"
    )
    con.execute(f"CREATE TEMP VIEW index_rows AS {_index_rows(index, id_type)}")
    con.execute(f"CREATE TEMP VIEW offence_rows AS {_offence_rows(offence, id_type)}")
    _check_index_rows(con, index)
    _check_offence_rows(con, offence)
    for by, column in (
        ("offence-group", "offence_group"),
        ("previous-offences", "previous_offences"),
    ):
        if by in options.by and column not in index.types:
            raise missing_column_error(index.first, column, by)

    con.execute(_cohort_sql(options))
    con.execute(_tallies_sql(options))
    before_birth = con.execute("SELECT sum(before_birth) FROM tallies").fetchone()
    if before_birth is not None and before_birth[0]:
        _raise_before_birth(con)
    con.execute(_per_person_sql(options))

    overall = _group_rows(con, "'all'")["all"]
    breakdowns: list[ReoffendingBreakdown] = []
    for by in options.by:
        rows = _group_rows(con, _breakdown_sql(by, options))
        for value in breakdown_categories(by, options, list(rows)):
            measures = rows.get(value, _EMPTY)
            breakdowns.append(ReoffendingBreakdown(**vars(measures), by=by, value=value))
    if per_person_out is not None:
        _write_per_person(con, per_person_out)
    return ReoffendingResult(**vars(overall), options=options, breakdowns=tuple(breakdowns))


_EMPTY = ReoffendingMeasures(
    cohort_size=0,
    reoffenders=0,
    reoffences=0,
    days_to_first_total=0,
    median_days_to_first=None,
    first_within_3_months=0,
)


# --- reading the columns ------------------------------------------------------------------


def _integer_ids(con: duckdb.DuckDBPyConnection, source: _Source, column: str) -> bool:
    """Whether the ids are integers, or text that is all plain whole numbers (as in memory)."""
    kind = source.types[column]
    if kind in _INTEGER_TYPES:
        return True
    if kind != "VARCHAR":
        return False
    found = con.execute(
        f"SELECT count(*) FILTER (WHERE NOT coalesce(regexp_full_match("  # noqa: S608 - built from constants and quoted names
        f"trim({_quoted(column)}, {_TRIM}), '0|[1-9][0-9]{{0,17}}'), false)) "
        f"FROM {source.scan()}"
    ).fetchone()
    return found is not None and found[0] == 0


def _text(source: _Source, column: str) -> str:
    """Trimmed text of a column, NULL where blank."""
    if column not in source.types:
        return "CAST(NULL AS VARCHAR)"
    return f"nullif(trim(CAST({_quoted(column)} AS VARCHAR), {_TRIM}), '')"


def _id(source: _Source, column: str, id_type: str) -> str:
    kind = source.types[column]
    if id_type == "BIGINT":
        if kind in _INTEGER_TYPES:
            return f"CAST({_quoted(column)} AS BIGINT)"
        return f"CAST({_text(source, column)} AS BIGINT)"
    return _text(source, column)


def _date(source: _Source, column: str) -> str:
    """The column as a DATE: NULL where blank or not a real YYYY-MM-DD date."""
    kind = source.types[column]
    name = _quoted(column)
    if kind == "DATE":
        return name
    if kind.startswith("TIMESTAMP"):
        return f"CAST({name} AS DATE)"
    if kind == "VARCHAR":
        text = _text(source, column)
        return (
            f"CASE WHEN regexp_full_match({text}, '[0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}}') "
            f"THEN CAST(try_strptime({text}, '%Y-%m-%d') AS DATE) END"
        )
    return "CAST(NULL AS DATE)"


def _code(text: str, values: Sequence[str]) -> str:
    """The position of the text among `values`, NULL when it is none of them."""
    cases = " ".join(f"WHEN {_literal(v)} THEN {i}" for i, v in enumerate(values))
    return f"CASE {text} {cases} END"


def _flag(source: _Source, column: str) -> str:
    kind = source.types[column]
    if kind == "BOOLEAN":
        return _quoted(column)
    text = f"lower({_text(source, column)})"
    cases = " ".join(
        f"WHEN {_literal(v)} THEN {'true' if i % 2 else 'false'}" for i, v in enumerate(FLAG_TEXT)
    )
    return f"CASE {text} {cases} END"


def _previous(source: _Source) -> tuple[str, str]:
    """previous_offences as (count or -1 where blank or bad, whether it is bad)."""
    column = "previous_offences"
    if column not in source.types:
        return "CAST(-1 AS BIGINT)", "false"
    kind = source.types[column]
    name = _quoted(column)
    if kind in _INTEGER_TYPES:
        return f"coalesce(CASE WHEN {name} >= 0 THEN CAST({name} AS BIGINT) END, -1)", (
            f"coalesce({name} < 0, false)"
        )
    if kind in _FLOAT_TYPES:
        whole = f"({name} = floor({name}) AND {name} >= 0 AND {name} < 1e18)"
        return (
            f"coalesce(CASE WHEN NOT isnan({name}) AND {whole} "
            f"THEN CAST({name} AS BIGINT) END, -1)",
            f"coalesce(NOT isnan({name}) AND NOT {whole}, false)",
        )
    text = _text(source, column)
    shaped = f"regexp_full_match({text}, '[0-9]{{1,18}}')"
    return (
        f"coalesce(CASE WHEN {shaped} THEN CAST({text} AS BIGINT) END, -1)",
        f"coalesce(NOT {shaped}, false)",
    )


def _age(born: str, on: str) -> str:
    """Whole years from `born` to `on` (a birthday counts from the day itself)."""
    return (
        f"(year({on}) - year({born}) - CASE WHEN month({on}) * 32 + day({on}) "
        f"< month({born}) * 32 + day({born}) THEN 1 ELSE 0 END)"
    )


def _index_rows(source: _Source, id_type: str) -> str:
    previous, previous_bad = _previous(source)
    previous_raw = _quoted("previous_offences") if "previous_offences" in source.types else "NULL"
    sex = _text(source, "sex")
    group = _text(source, "offence_group")
    return (
        "SELECT filename AS file, file_row_number AS row_index, "  # noqa: S608 - built from constants and quoted names
        f"{_id(source, 'person_id', id_type)} AS person_id, "
        f"{_text(source, 'event_type')} AS event_type_text, "
        f"{_code(_text(source, 'event_type'), EVENT_TYPES)} AS event_type, "
        f"{_text(source, 'event_date')} AS event_date_text, "
        f"{_date(source, 'event_date')} AS event_date, "
        f"{_text(source, 'date_of_birth')} AS birth_text, "
        f"{_date(source, 'date_of_birth')} AS date_of_birth, "
        f"coalesce({sex}, '{UNKNOWN}') AS sex, "
        f"coalesce({group}, '{UNKNOWN}') AS offence_group, "
        f"{previous} AS previous_offences, {previous_bad} AS previous_bad, "
        f"{_text(source, 'previous_offences')} AS previous_text, "
        f"{previous_raw} AS previous_raw "
        f"FROM {source.scan()}"
    )


def _offence_rows(source: _Source, id_type: str) -> str:
    return (
        "SELECT filename AS file, file_row_number AS row_index, "  # noqa: S608 - built from constants and quoted names
        f"{_id(source, 'person_id', id_type)} AS person_id, "
        f"{_text(source, 'offence_date')} AS offence_date_text, "
        f"{_date(source, 'offence_date')} AS offence_date, "
        f"{_text(source, 'disposal_date')} AS disposal_date_text, "
        f"{_date(source, 'disposal_date')} AS disposal_date, "
        f"{_text(source, 'disposal_type')} AS disposal_type_text, "
        f"{_code(_text(source, 'disposal_type'), DISPOSAL_TYPES)} AS disposal_type, "
        f"{_text(source, 'is_breach')} AS is_breach_text, "
        f"{_flag(source, 'is_breach')} AS is_breach "
        f"FROM {source.scan()}"
    )


# --- checking -----------------------------------------------------------------------------


def _first_problem_rows(
    con: duckdb.DuckDBPyConnection, view: str, flags: dict[str, str], extra: Sequence[str]
) -> tuple[list[dict[str, Any]], int]:
    """The first rows with a problem (by file and row), and the number of problems."""
    problem_count = " + ".join(f"CAST({flag} AS INTEGER)" for flag in flags.values())
    columns = ", ".join(f"{flag} AS {name}" for name, flag in flags.items())
    found = con.execute(
        f"WITH checked AS (SELECT file, row_index, {', '.join(extra)}, {columns}, "  # noqa: S608 - built from constants
        f"{problem_count} AS problems FROM {view}) "
        "SELECT *, sum(problems) OVER () AS total FROM checked WHERE problems > 0 "
        f"ORDER BY file, row_index LIMIT {SHOWN_PROBLEMS}"
    )
    names = [d[0] for d in found.description]
    rows = [dict(zip(names, row, strict=True)) for row in found.fetchall()]
    return rows, int(rows[0]["total"]) if rows else 0


def _raise_rows(problems: list[tuple[str, int, InputProblem]], total: int) -> None:
    if not problems:
        return
    problems = problems[:SHOWN_PROBLEMS]
    file, _, first = problems[0]
    raise ReoffendingInputError(
        file,
        first.row,
        first.column,
        first.message,
        more=[p for _, _, p in problems[1:]],
        total=total,
    )


def _check_index_rows(con: duckdb.DuckDBPyConnection, source: _Source) -> None:
    both = "event_date IS NOT NULL AND date_of_birth IS NOT NULL"
    age = _age("date_of_birth", "event_date")
    flags = {
        "bad_person_id": "person_id IS NULL",
        "bad_event_type": "event_type IS NULL",
        "bad_event_date": "event_date IS NULL",
        "bad_date_of_birth": f"(date_of_birth IS NULL OR ({both} AND "
        f"(date_of_birth > event_date OR {age} < {MIN_AGE})))",
        "bad_previous_offences": "previous_bad",
    }
    extra = [
        "event_type_text",
        "event_date_text",
        "event_date",
        "birth_text",
        "date_of_birth",
        f"CASE WHEN {both} THEN {age} END AS age",
        "previous_text",
        "previous_raw",
    ]
    rows, total = _first_problem_rows(con, "index_rows", flags, extra)
    float_previous = source.types.get("previous_offences") in _FLOAT_TYPES
    problems: list[tuple[str, int, InputProblem]] = []
    for row in rows:
        at = int(row["row_index"]) + FIRST_DATA_ROW
        found: list[tuple[str, str]] = []
        if row["bad_person_id"]:
            found.append(("person_id", blank_message("person_id")))
        if row["bad_event_type"]:
            text = row["event_type_text"] or ""
            found.append(
                ("event_type", choice_message("event_type", "event type", text, EVENT_TYPES))
            )
        if row["bad_event_date"]:
            found.append(("event_date", date_message("event_date", row["event_date_text"] or "")))
        if row["bad_date_of_birth"]:
            if row["date_of_birth"] is None:
                message = date_message("date_of_birth", row["birth_text"] or "")
            elif row["date_of_birth"] > row["event_date"]:
                message = born_after_message(iso(row["date_of_birth"]), iso(row["event_date"]))
            else:
                message = too_young_message(int(row["age"]), iso(row["event_date"]))
            found.append(("date_of_birth", message))
        if row["bad_previous_offences"]:
            text = repr(float(row["previous_raw"])) if float_previous else row["previous_text"]
            found.append(("previous_offences", count_message(text or "")))
        problems += [(row["file"], at, InputProblem(at, c, m)) for c, m in found]
    _raise_rows(problems, total)


def _check_offence_rows(con: duckdb.DuckDBPyConnection, source: _Source) -> None:
    flags = {
        "bad_person_id": "person_id IS NULL",
        "bad_offence_date": "offence_date IS NULL",
        "bad_disposal_date": "(disposal_date IS NULL OR (offence_date IS NOT NULL AND "
        "disposal_date < offence_date))",
        "bad_disposal_type": "disposal_type IS NULL",
        "bad_is_breach": "is_breach IS NULL",
    }
    extra = [
        "offence_date_text",
        "offence_date",
        "disposal_date_text",
        "disposal_date",
        "disposal_type_text",
        "is_breach_text",
    ]
    rows, total = _first_problem_rows(con, "offence_rows", flags, extra)
    boolean = source.types["is_breach"] == "BOOLEAN"
    problems: list[tuple[str, int, InputProblem]] = []
    for row in rows:
        at = int(row["row_index"]) + FIRST_DATA_ROW
        found: list[tuple[str, str]] = []
        if row["bad_person_id"]:
            found.append(("person_id", blank_message("person_id")))
        if row["bad_offence_date"]:
            found.append(
                ("offence_date", date_message("offence_date", row["offence_date_text"] or ""))
            )
        if row["bad_disposal_date"]:
            if row["disposal_date"] is None:
                message = date_message("disposal_date", row["disposal_date_text"] or "")
            else:
                message = disposal_first_message(
                    iso(row["disposal_date"]), iso(row["offence_date"])
                )
            found.append(("disposal_date", message))
        if row["bad_disposal_type"]:
            text = row["disposal_type_text"] or ""
            found.append(
                (
                    "disposal_type",
                    choice_message("disposal_type", "disposal type", text, DISPOSAL_TYPES),
                )
            )
        if row["bad_is_breach"]:
            found.append(
                ("is_breach", flag_message("" if boolean else row["is_breach_text"] or ""))
            )
        problems += [(row["file"], at, InputProblem(at, c, m)) for c, m in found]
    _raise_rows(problems, total)


# --- computing ----------------------------------------------------------------------------


def _date_literal(day: Any) -> str:
    return f"DATE '{iso(day)}'"


def _in_list(values: Sequence[str], allowed: Sequence[str]) -> str:
    return ", ".join(str(values.index(v)) for v in allowed)


def _cohort_sql(options: ReoffendingOptions) -> str:
    follow_up = f"CAST(event_date + to_months({options.follow_up_months}) AS DATE)"
    return (
        "CREATE TEMP TABLE cohort AS SELECT person_id, event_type, "  # noqa: S608 - built from constants and dates
        "event_date AS index_date, date_of_birth, sex, offence_group, previous_offences, "
        f"{follow_up} AS follow_up_end, "
        f"CAST({follow_up} + to_months({options.waiting_months}) AS DATE) AS waiting_end, "
        f"CAST(event_date + to_months({FIRST_WITHIN_MONTHS}) AS DATE) AS within_end "
        "FROM index_rows "
        f"WHERE event_type IN ({_in_list(EVENT_TYPES, options.index_event_types)}) "
        f"AND event_date BETWEEN {_date_literal(options.cohort_start)} "
        f"AND {_date_literal(options.cohort_end)} "
        "QUALIFY row_number() OVER (PARTITION BY person_id "
        "ORDER BY event_date, event_type, file, row_index) = 1"
    )


def _tallies_sql(options: ReoffendingOptions) -> str:
    conditions = [
        f"o.disposal_type IN ({_in_list(DISPOSAL_TYPES, options.proven_disposals)})",
        "o.offence_date > c.index_date",
        "o.offence_date <= c.follow_up_end",
        "o.disposal_date <= c.waiting_end",
    ]
    if options.exclude_breaches:
        conditions.append("NOT o.is_breach")
    proven = " AND ".join(conditions)
    return (
        "CREATE TEMP TABLE tallies AS SELECT o.person_id, "  # noqa: S608 - built from constants
        f"count(*) FILTER (WHERE {proven}) AS reoffences, "
        f"min(o.offence_date) FILTER (WHERE {proven}) AS first_date, "
        "count(*) FILTER (WHERE o.offence_date < c.date_of_birth) AS before_birth "
        "FROM offence_rows o JOIN cohort c ON o.person_id = c.person_id "
        "GROUP BY o.person_id"
    )


def _raise_before_birth(con: duckdb.DuckDBPyConnection) -> None:
    found = con.execute(
        "SELECT o.file, o.row_index, o.offence_date, c.date_of_birth, o.person_id, "  # noqa: S608 - built from constants
        "count(*) OVER () AS total "
        "FROM offence_rows o JOIN cohort c ON o.person_id = c.person_id "
        "WHERE o.offence_date < c.date_of_birth "
        f"ORDER BY o.file, o.row_index LIMIT {SHOWN_PROBLEMS}"
    ).fetchall()
    problems = [
        (
            str(file),
            int(row) + FIRST_DATA_ROW,
            InputProblem(
                int(row) + FIRST_DATA_ROW,
                "offence_date",
                before_birth_message(iso(committed), iso(born), person),
            ),
        )
        for file, row, committed, born, person, _ in found
    ]
    _raise_rows(problems, int(found[0][5]))


def _per_person_sql(options: ReoffendingOptions) -> str:
    return (
        "CREATE TEMP TABLE per_person AS SELECT c.person_id, c.index_date, "  # noqa: S608 - built from constants
        "coalesce(t.reoffences, 0) AS reoffences, "
        "CASE WHEN t.reoffences > 0 THEN t.first_date - c.index_date END AS days_to_first, "
        "coalesce(t.reoffences > 0 AND t.first_date <= c.within_end, false) AS first_within, "
        f"{_age('c.date_of_birth', 'c.index_date')} AS age, "
        "c.event_type, c.sex, c.offence_group, c.previous_offences "
        "FROM cohort c LEFT JOIN tallies t ON c.person_id = t.person_id"
    )


def _bands(value: str, bands: Sequence[tuple[int, str]], otherwise: str) -> str:
    cases = " ".join(
        f"WHEN {value} >= {lowest} THEN {_literal(label)}" for lowest, label in reversed(bands)
    )
    return f"CASE {cases} ELSE {otherwise} END"


def _breakdown_sql(by: str, options: ReoffendingOptions) -> str:
    """The SQL value of a breakdown on the per_person table (same labels as in memory)."""
    if by == "adult-youth":
        youth = _literal(YOUTH_LABEL[options.jurisdiction])
        return f"CASE WHEN age >= {ADULT_AGE} THEN 'adult' ELSE {youth} END"
    if by == "age-band":
        bands = AGE_BANDS[options.jurisdiction]
        return _bands("age", bands, _literal(bands[0][1]))
    if by == "index-disposal":
        return (
            "CASE event_type "
            + " ".join(f"WHEN {i} THEN {_literal(t)}" for i, t in enumerate(EVENT_TYPES))
            + " END"
        )
    if by == "previous-offences":
        return _bands("previous_offences", PREVIOUS_OFFENCE_BANDS, _literal(UNKNOWN))
    return "sex" if by == "sex" else "offence_group"


def _group_rows(con: duckdb.DuckDBPyConnection, value: str) -> dict[str, ReoffendingMeasures]:
    found = con.execute(
        f"SELECT {value} AS value, count(*), count(days_to_first), "  # noqa: S608 - built from constants
        "coalesce(sum(reoffences), 0), coalesce(sum(days_to_first), 0), "
        "median(days_to_first), count(*) FILTER (WHERE first_within) "
        "FROM per_person GROUP BY ALL"
    ).fetchall()
    groups = {
        str(label): ReoffendingMeasures(
            cohort_size=int(size),
            reoffenders=int(reoffenders),
            reoffences=int(reoffences),
            days_to_first_total=int(days),
            median_days_to_first=None if median is None else float(median),
            first_within_3_months=int(within),
        )
        for label, size, reoffenders, reoffences, days, median, within in found
    }
    if value == "'all'" and not groups:
        groups["all"] = _EMPTY
    return groups


def _write_per_person(con: duckdb.DuckDBPyConnection, path: str | Path) -> None:
    kind = file_format(path)
    layout = "FORMAT parquet" if kind == "parquet" else "FORMAT csv, HEADER true"
    con.execute(
        "COPY (SELECT person_id, index_date, reoffences > 0 AS reoffended, reoffences, "  # noqa: S608 - the path is quoted
        f"days_to_first FROM per_person ORDER BY person_id) TO {_literal(str(path))} ({layout})"
    )
