"""toyhost-badges 0.1: a toy plugin that draws status badges; still calls the deprecated legacy_title()."""

import toyhost

__version__ = "0.1"


def badge(label, status):
    """A heading that reads '*label*: *status*', e.g. 'tests: passing'."""
    return toyhost.legacy_title(f"{label}: {status}")
