"""toyhost-share 0.1: a toy plugin that titles a page and adds a share link."""

import toyhost

__version__ = "0.1"


def share_box(title, url):
    """A heading for *title* followed by a link to *url*."""
    return toyhost.render_title(title) + f'<a href="{url}">share</a>'
