"""desist_analytics: the Django-free statistics library behind desist.

Pure functions over plain values, arrays and data frames. Nothing here imports Django; the web
application and the `desist` command call into it. Later capabilities (programme statistics,
disclosure control, proven reoffending, Data Lab matching) add their public functions here.
"""

from desist_analytics._dates import financial_year, financial_year_start

__all__ = ["financial_year", "financial_year_start"]
