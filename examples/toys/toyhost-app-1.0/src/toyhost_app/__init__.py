"""toyhost-app 1.0: a toy site that builds its dashboard with both plugins."""

from toyhost_charts import bar_chart
from toyhost_export import export_page

__version__ = "1.0"


def dashboard(rows, values):
    """The site's one page: an export of *rows* followed by a chart of *values*."""
    return export_page("Sales", rows) + bar_chart("Load", values)
