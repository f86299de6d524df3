"""The `desist` command: Django's management commands, with the project's names for its own.

desist import participants FILE.csv
desist import services FILE.csv
desist instruments load PATH... | list
desist audit verify
desist demo-data --participants N --seed S
desist run-scheduled
desist stats active-participants --as-at YYYY-MM-DD [--by ...] [--format ...]
desist reoffending --index-events FILE --offences FILE --cohort-start ... [--by ...]
"""

from __future__ import annotations

import os
import sys

# Commands whose public names are not valid module names.
ALIASES = {"demo-data": "demo_data", "import": "import_data", "run-scheduled": "run_scheduled"}


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "desist.settings")
    from django.core.management import execute_from_command_line

    args = list(sys.argv if argv is None else argv)
    if len(args) > 1 and args[1] in ALIASES:
        args[1] = ALIASES[args[1]]
    args[0] = "desist"
    execute_from_command_line(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
