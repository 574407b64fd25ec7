"""toyhost 0.9: a toy host application, the last stable release before the 1.0 alphas."""

__version__ = "0.9"


def render_title(text):
    """Return *text* as an HTML heading; plugins call this to title their pages."""
    # Not escaped, like every release before 1.0a28 (see the toy advisory).
    return f"<h1>{text}</h1>"


def legacy_title(text):
    """The old name of render_title(), kept for plugins written against 0.x."""
    return render_title(text)
