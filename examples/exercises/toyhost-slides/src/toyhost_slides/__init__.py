"""toyhost-slides 0.1: a toy plugin that makes a slide with the host, the export plugin and the charts plugin."""

import toyhost
from toyhost_charts import bar_chart
from toyhost_export import export_page

__version__ = "0.1"


def slide(title, notes, values):
    """One slide: *title* as its heading, the *notes* exported as a page, and a chart of *values*."""
    return toyhost.legacy_title(title) + export_page("Notes", notes) + bar_chart("Load", values)
