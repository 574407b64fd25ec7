"""toyhost-export 0.3a2: a toy plugin that exports a page of rows (think datasette-export-database)."""

import toyhost

__version__ = "0.3a2"


def export_page(title, rows):
    """Return an HTML page with *title* as heading and one paragraph per row."""
    body = "".join(f"<p>{row}</p>" for row in rows)
    return toyhost.render_title(title) + body
