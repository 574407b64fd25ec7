"""``python -m pinlab``: the same command as ``pinlab``."""

import sys

from .cli import main

sys.exit(main())
