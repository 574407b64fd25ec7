"""toyhost-export 0.3a1+acme.1: Acme's fork of 0.3a1, requiring toyhost>=1.0a27 instead of ==1.0a27."""

import toyhost

__version__ = "0.3a1+acme.1"


def export_page(title, rows):
    """Return an HTML page with *title* as heading and one paragraph per row."""
    body = "".join(f"<p>{row}</p>" for row in rows)
    return toyhost.render_title(title) + body
