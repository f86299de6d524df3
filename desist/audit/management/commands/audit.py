from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from desist.audit.verify import audit_verify


class Command(BaseCommand):
    help = "Audit trail tools. `desist audit verify` checks the hash chain end to end."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True)
        sub.add_parser("verify", help="Recompute every hash; report edited or deleted events.")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["subcommand"] == "verify":
            result = audit_verify()
            for problem in result.problems:
                self.stderr.write(problem)
            if not result.ok:
                raise CommandError(
                    f"Audit trail FAILED verification: {len(result.problems)} problem(s) "
                    f"in {result.checked} events."
                )
            self.stdout.write(
                f"Audit trail verified: {result.checked} events, chain head {result.head_hash}."
            )
