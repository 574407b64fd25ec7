"""toyhost 1.0a27: a toy host application that plugins build on (think Datasette)."""

__version__ = "1.0a27"


def render_title(text):
    """Return *text* as an HTML heading; plugins call this to title their pages."""
    # The vulnerability of this alpha: the text is not escaped, so a title such as
    # "<script>...</script>" runs in the reader's browser (fixed in 1.0a28).
    return f"<h1>{text}</h1>"


def legacy_title(text):
    """Deprecated since 1.0a20: use render_title(). Removed in 2.0."""
    return render_title(text)
