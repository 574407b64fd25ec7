"""The CI recipe the guide gives maintainers (``examples/ci/``), as chapter 5 shows it: a file
whole, or one session of its noxfile, read from the file itself so the page and the recipe
cannot drift."""

from __future__ import annotations

import ast

from .toys import examples_dir


def recipe(name: str = "noxfile.py", session: str | None = None) -> str:
    """The text of ``examples/ci/<name>``; with *session*, only that session of the noxfile
    (its decorator, signature and body)."""
    text = (examples_dir() / "ci" / name).read_text(encoding="utf-8")
    if session is None:
        return text
    for node in ast.parse(text).body:
        if isinstance(node, ast.FunctionDef) and node.name == session:
            first = min([node.lineno, *(decorator.lineno for decorator in node.decorator_list)])
            assert node.end_lineno is not None  # ast sets it on every statement since 3.8
            return "\n".join(text.splitlines()[first - 1:node.end_lineno]) + "\n"
    raise ValueError(f"examples/ci/{name} has no session named {session!r}")
