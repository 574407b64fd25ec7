"""toyhost-gallery 0.1: a toy plugin that exports a page of pictures, built on toyhost-export."""

import toyhost
from toyhost_export import export_page

__version__ = "0.1"


def gallery(title, pictures):
    """Return an exported HTML page with one image per picture, under a subtitle from the host."""
    return export_page(title, [f'<img src="{picture}">' for picture in pictures]) + toyhost.render_title("End")
