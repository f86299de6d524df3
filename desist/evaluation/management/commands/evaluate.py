"""`desist evaluate`: a Data Lab evaluation (METHODS.md section 4) of a file of one row per
person, by propensity score matching.

    desist evaluate --data FILE --treatment COL --covariates COL,COL,... --outcome COL[,COL...]
        [--ratio K] [--replace] [--caliper SD] [--exact COL,...]
        [--order largest|smallest|data] [--se cluster|two-sample] [--min-treated 60]
        [--report OUT.html|OUT.pdf] [--format table|json]

FILE is CSV or Parquet (by extension). The computation is `desist_analytics.evaluate`; the
method and its checks against R's MatchIt are in docs/evaluation.md. The figures printed are
exact, for the analyst who holds the file; the summary sentences and the report apply
disclosure control to counts of people.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from desist.evaluation.datalab import report_html, report_pdf
from desist.evaluation.reports import grid
from desist.statistics.figures import disclosure_options
from desist_analytics import (
    EvaluationInputError,
    EvaluationOptions,
    EvaluationOptionsError,
    EvaluationResult,
    evaluate,
    read_evaluation_data,
)

FORMATS = ("table", "json")
REPORT_SUFFIXES = (".html", ".pdf")


def columns(text: str | None) -> tuple[str, ...]:
    """Column names separated by commas (spaces around them ignored)."""
    return tuple(name.strip() for name in (text or "").split(",") if name.strip())


def sentence(text: str) -> str:
    text = text.strip()
    return text[:1].upper() + text[1:] + ("" if text.endswith(".") else ".")


def as_table(result: EvaluationResult) -> str:
    """The counts, the outcomes, the balance table and the summary, for a terminal."""
    lines = ["Data Lab evaluation", ""]
    lines += grid(
        ("", "People"),
        [
            ("Treatment group", f"{result.treated_total:,}"),
            ("Matched", f"{result.matched_treated:,}"),
            ("Not matched", f"{result.unmatched_treated:,}"),
            ("Comparison pool", f"{result.comparison_total:,}"),
            ("Comparison people matched", f"{result.matched_controls:,}"),
            ("Effective comparison size", f"{result.ess_controls:,.1f}"),
        ],
    )
    lines += ["", "Outcomes", ""]
    lines += grid(
        ("Outcome", "Treated", "Comparison", "Difference", "SE", "95% CI", "p"),
        [
            (
                o.outcome,
                f"{o.treated:.4f}",
                f"{o.comparison:.4f}",
                f"{o.difference:+.4f}",
                f"{o.se:.4f}",
                f"{o.ci_low:+.4f} to {o.ci_high:+.4f}",
                f"{o.p_value:.4f}",
            )
            for o in result.outcomes
        ],
    )
    lines += ["", "Balance", ""]
    lines += grid(
        ("Covariate", "SMD before", "SMD after", "Var. ratio", "eCDF mean", "eCDF max", ""),
        [
            (
                b.covariate,
                f"{b.smd_before:+.3f}",
                f"{b.smd_after:+.3f}",
                "-" if b.variance_ratio_after is None else f"{b.variance_ratio_after:.3f}",
                f"{b.ecdf_mean_after:.3f}",
                f"{b.ecdf_max_after:.3f}",
                b.flag,
            )
            for b in result.balance
        ],
    )
    lines += ["", *result.summary]
    return "\n".join(lines) + "\n"


class Command(BaseCommand):
    help = (
        "A Data Lab evaluation of a CSV or Parquet file of one row per person, by propensity "
        "score matching. See docs/evaluation.md."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--data", required=True, metavar="FILE")
        parser.add_argument(
            "--treatment", required=True, metavar="COL", help="0/1, 1 for the treatment group."
        )
        parser.add_argument(
            "--covariates",
            required=True,
            metavar="COL,COL,...",
            help="Numeric or categorical (categorical ones are one-hot encoded).",
        )
        parser.add_argument(
            "--outcome",
            required=True,
            metavar="COL[,COL...]",
            help="Binary (0/1), count or continuous.",
        )
        parser.add_argument("--ratio", type=int, default=1, metavar="K", help="1:K matching.")
        parser.add_argument("--replace", action="store_true", help="Match with replacement.")
        parser.add_argument(
            "--caliper",
            type=float,
            metavar="SD",
            help="The largest score distance, in standard deviations of the score.",
        )
        parser.add_argument(
            "--exact", metavar="COL,...", help="Match only within equal values of these."
        )
        parser.add_argument("--order", choices=EvaluationOptions.ORDERS, default="largest")
        parser.add_argument("--se", choices=EvaluationOptions.SE_KINDS, default="cluster")
        parser.add_argument("--min-treated", type=int, default=60, metavar="N")
        parser.add_argument(
            "--report", metavar="OUT.html|OUT.pdf", help="Also write the Data Lab report."
        )
        parser.add_argument("--format", choices=FORMATS, default="table")

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["data"])
        if not path.is_file():
            raise CommandError(f"--data: no such file: {options['data']}")
        report = Path(options["report"]) if options["report"] else None
        if report is not None and report.suffix.lower() not in REPORT_SUFFIXES:
            raise CommandError("--report must name a .html or .pdf file.")
        try:
            settings = EvaluationOptions(
                treatment=options["treatment"].strip(),
                covariates=columns(options["covariates"]),
                outcomes=columns(options["outcome"]),
                ratio=options["ratio"],
                replace=options["replace"],
                caliper=options["caliper"],
                exact=columns(options["exact"]),
                order=options["order"],
                se=options["se"],
                min_treated=options["min_treated"],
            )
        except EvaluationOptionsError as error:
            raise CommandError(sentence(str(error))) from None
        try:
            frame = read_evaluation_data(path, settings.columns)
            result = evaluate(frame, settings, disclosure=disclosure_options())
        except EvaluationInputError as error:
            raise CommandError(f"{path.name}: {str(error).rstrip('.')}.") from None
        if report is not None:
            self._write_report(report, result, path)
        if options["format"] == "json":
            self.stdout.write(json.dumps(result.to_dict(), indent=2))
        else:
            self.stdout.write(as_table(result), ending="")

    def _write_report(self, report: Path, result: EvaluationResult, data: Path) -> None:
        document = result.to_dict()
        title = f"Evaluation of {result.options.treatment}"
        source = f"{data.name}, treatment group {result.options.treatment} = 1"
        if report.suffix.lower() == ".pdf":
            report.write_bytes(report_pdf(document, title=title, source=source))
        else:
            report.write_text(report_html(document, title=title, source=source), encoding="utf-8")
