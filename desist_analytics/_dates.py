from __future__ import annotations

import datetime as dt


def financial_year_start(day: dt.date) -> int:
    """The calendar year in which the UK financial year containing `day` began (1 April).

    Args:
        day: any date.

    Returns:
        The starting year, e.g. 2019 for any day from 1 April 2019 to 31 March 2020.

    Example:
        >>> financial_year_start(dt.date(2020, 3, 31))
        2019
    """
    return day.year if day.month >= 4 else day.year - 1


def financial_year(day: dt.date) -> str:
    """The financial year containing `day`, written the published way.

    Args:
        day: any date.

    Returns:
        A label such as "2019/20".

    Example:
        >>> financial_year(dt.date(2019, 4, 1))
        '2019/20'
    """
    start = financial_year_start(day)
    return f"{start}/{(start + 1) % 100:02d}"
