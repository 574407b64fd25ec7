"""toyhost 2.0: a toy host application that plugins build on (think Datasette)."""

import html

__version__ = "2.0"


def render_title(text):
    """Return *text* as an HTML heading; plugins call this to title their pages."""
    return f"<h1>{html.escape(text)}</h1>"


# legacy_title() was removed in 2.0, as announced since 1.0a20.
