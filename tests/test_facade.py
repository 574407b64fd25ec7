"""The chapters' one import: ``from pinlab import ...`` gives every name a chapter uses."""

from __future__ import annotations

import json
from pathlib import Path

import pinlab

BOOK = Path(__file__).parent.parent / "book"


def test_every_public_name_is_exported_and_resolves_to_its_module():
    assert pinlab.__all__ == sorted(pinlab._EXPORTS)
    for name, (module, _needs_lab) in pinlab._EXPORTS.items():
        assert getattr(pinlab, name).__module__ == f"pinlab.{module}", name


def test_the_chapters_import_the_kit_from_pinlab_alone():
    deep = [
        f"{chapter.name}: {line}"
        for chapter in sorted(BOOK.glob("*.ipynb"))
        for cell in json.loads(chapter.read_text(encoding="utf-8"))["cells"] if cell["cell_type"] == "code"
        for line in "".join(cell["source"]).splitlines()
        if line.startswith(("from pinlab.", "import pinlab."))
    ]
    assert deep == []
