"""toyhost-comments 0.1: a toy plugin that shows readers' comments, each under a heading."""

import html

import toyhost

__version__ = "0.1"


def comment(author, text):
    """A comment as HTML. Its heading is the reader's name, which may hold '<' or '&': the
    plugin leaves escaping it to the host's render_title()."""
    return toyhost.render_title(author) + f"<p>{html.escape(text)}</p>"
