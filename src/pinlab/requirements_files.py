"""Requirements files as pip reads them: the one reader, for the exercises and the workshop stick.

A requirement may go on over several lines (a line ending in a backslash), a comment starts at a
``#`` at the start of a line or after whitespace (pip's rule: ``pkg#egg`` is not a comment), and a
lock line carries ``--hash`` options. Other options (``-r``, ``--index-url``) are refused: the
files read here are a learner's requirements or a lock, never a pip configuration.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from packaging.requirements import InvalidRequirement, Requirement

_COMMENT = re.compile(r"(^|\s)#.*$")
_HASH_OPTION = re.compile(r"--hash(?:=|\s+)(\S*)")
_HASH_VALUE = re.compile(r"[a-z0-9]+:[0-9a-f]+")


class RequirementsFileError(ValueError):
    """A line of a requirements file that cannot be read; ``str()`` is ``line N: what is wrong``."""

    def __init__(self, number: int, problem: str) -> None:
        super().__init__(f"line {number}: {problem}")
        self.number = number
        self.problem = problem


@dataclass(frozen=True)
class RequirementLine:
    """One requirement of a requirements file, as pip reads it."""

    number: int
    """The line it starts on (a line ending in a backslash goes on to the next one)."""
    requirement: Requirement
    """What it asks for."""
    hashes: tuple[str, ...] = ()
    """Its ``--hash`` values, e.g. ``sha256:9f86...``."""
    text: str = ""
    """The whole line as written, continuation lines joined and the comment dropped, e.g.
    ``colorama==0.4.6 ; os_name == 'nt' --hash=sha256:...``."""


def parse_requirements_file(text: str, hashes: bool = False, reader: str = "this file") -> list[RequirementLine]:
    """The lines of *text* that ask for something; with *hashes*, a line may carry ``--hash``
    options, as in a lock file. Anything else (an option, a line that does not parse, a hash that
    is not ``algorithm:hexdigits``) raises :class:`RequirementsFileError` naming the line; an
    option is refused as "*reader* takes requirements only" (an exercise says "this exercise")."""
    found = []
    for number, line in logical_lines(text):
        line = " ".join(_COMMENT.sub("", line).split())
        if not line:
            continue
        if line.startswith("-"):
            allowed = "requirements and their --hash options" if hashes else "requirements"
            raise RequirementsFileError(number, f"{line.split()[0]!r}: {reader} takes {allowed} only")
        written, _, options = line.partition(" --") if hashes else (line, "", "")
        options = f"--{options}" if options else ""
        values = _HASH_OPTION.findall(options)
        leftover = _HASH_OPTION.sub("", options).split()
        if leftover:
            raise RequirementsFileError(number, f"{leftover[0]!r}: a lock line takes --hash options only")
        for value in values:
            if not _HASH_VALUE.fullmatch(value):
                raise RequirementsFileError(number, f"{value!r} is not a hash: "
                                                    "write --hash=sha256: and the file's 64 hexadecimal digits")
        try:
            requirement = Requirement(written.strip())
        except InvalidRequirement as exc:
            raise RequirementsFileError(number, f"invalid requirement {written.strip()!r}: "
                                                f"{str(exc).splitlines()[0]}") from None
        found.append(RequirementLine(number, requirement, tuple(values), line))
    return found


def logical_lines(text: str) -> list[tuple[int, str]]:
    """Physical lines joined where one ends in a backslash, each with the number it starts on."""
    joined: list[tuple[int, str]] = []
    pending: tuple[int, str] | None = None
    for number, line in enumerate(text.splitlines(), start=1):
        start, before = pending if pending else (number, "")
        if line.rstrip().endswith("\\"):
            pending = (start, before + line.rstrip()[:-1] + " ")
            continue
        pending = None
        joined.append((start, before + line))
    if pending:
        joined.append(pending)
    return joined
