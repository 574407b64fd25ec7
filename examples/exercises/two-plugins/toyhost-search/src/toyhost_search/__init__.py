"""toyhost-search 0.1: a toy plugin that lists search results under a heading from the host."""

import toyhost

__version__ = "0.1"


def results_page(count, names):
    """A heading that says how many pages matched, then one line per page."""
    return toyhost.render_title(f"{count} results") + "".join(f"<p>{name}</p>" for name in names)
