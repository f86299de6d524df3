import datetime as dt

import pytest

from desist_analytics import financial_year, financial_year_start


@pytest.mark.parametrize(
    ("day", "label"),
    [
        (dt.date(2019, 4, 1), "2019/20"),  # first day of the year
        (dt.date(2020, 3, 31), "2019/20"),  # last day of the year
        (dt.date(2020, 4, 1), "2020/21"),
        (dt.date(1999, 12, 31), "1999/00"),  # century wraps to two digits
        (dt.date(2016, 1, 15), "2015/16"),
    ],
)
def test_financial_year_labels(day: dt.date, label: str) -> None:
    assert financial_year(day) == label


def test_financial_year_start_before_april_is_previous_year() -> None:
    assert financial_year_start(dt.date(2024, 3, 31)) == 2023
    assert financial_year_start(dt.date(2024, 4, 1)) == 2024


def test_library_does_not_import_django() -> None:
    import subprocess
    import sys

    code = "import sys, desist_analytics; sys.exit('django' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0
