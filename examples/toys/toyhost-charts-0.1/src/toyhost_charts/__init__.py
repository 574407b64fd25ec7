"""toyhost-charts 0.1: a toy plugin that draws text bar charts; needs toyhost>=1.0a28."""

import toyhost

__version__ = "0.1"


def bar_chart(title, values):
    """Return an HTML heading followed by one bar of '#' per value."""
    bars = "".join(f"<pre>{'#' * value}</pre>" for value in values)
    return toyhost.render_title(title) + bars
