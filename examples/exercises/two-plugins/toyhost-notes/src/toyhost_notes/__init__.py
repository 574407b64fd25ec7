"""toyhost-notes 0.1: a toy plugin that shows notes its users write, titled by the host."""

import html

import toyhost

__version__ = "0.1"


def note_page(title, body):
    """A note as HTML. Its title is written by a user, so it may hold '<' or '&': the plugin
    relies on the host's render_title() to escape it."""
    return toyhost.render_title(title) + f"<p>{html.escape(body)}</p>"
