"""The ``pinlab`` command (also ``python -m pinlab``): ``pinlab lint``, ``pinlab explain``, ``pinlab doctor``.

Exit status: 0 clean, 1 findings (lint) or a blocked fix or something not checked (explain), or standard output
closed before the end (``pinlab lint | head -1``: quietly, no traceback), 2 unusable input. Unusable
input is reported in one line on standard error, naming the input and what is wrong with it,
never as a traceback.

Each subcommand is one entry of :data:`SUBCOMMANDS`: a name, a one-line help, a function that
adds its arguments, and a function that runs it and returns the exit status. A new subcommand
(``pinlab doctor``) is one more entry, its work in a module of its own.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

from .process import Completed, Placeholders, run
from .requirements import UnusableInput

USAGE_ERROR = 2
"""The exit status for unusable input and for a command line argparse cannot parse."""


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line too (argparse prints the whole usage first)."""

    def error(self, message: str) -> NoReturn:
        self.exit(USAGE_ERROR, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


# -- pinlab lint ------------------------------------------------------------------------------------

def _add_lint(parser: argparse.ArgumentParser) -> None:
    parser.epilog = ("exit status: 0 when every input was checked and nothing published pins or caps; 1 for an "
                     "error or a warning, or an input whose requirements could not be checked (never all clear); "
                     "2 for unusable input. Allow a finding with its reason in [tool.pinlab] of pyproject.toml.")
    parser.add_argument("inputs", nargs="*", metavar="PATH",
                        help="a pyproject.toml, a folder holding one, a wheel or an sdist (default: .)")
    parser.add_argument("--installed", action="append", default=[], metavar="NAME",
                        help="an installed distribution to check (repeatable)")
    parser.add_argument("--all-installed", action="store_true",
                        help="check every installed distribution (the environment is read once)")
    parser.add_argument("--python", metavar="PATH",
                        help="the interpreter --installed and --all-installed look in (default: this one)")
    parser.add_argument("--ignore", action="append", default=[], metavar="CODE",
                        help="leave out findings with this code, e.g. PIN003 (repeatable)")
    parser.add_argument("--format", choices=LINT_FORMATS, default="text",
                        help="output format: text, json, sarif (GitHub code scanning) or github "
                             "(workflow annotations) (default: text)")


LINT_FORMATS = ("text", "json", "sarif", "github")


def _run_lint(args: argparse.Namespace) -> int:
    from .environment import installed_sources
    from .lint import as_json, format_text, lint
    from .requirements import read_sources

    if args.format == "sarif" and (args.installed or args.all_installed):
        # Code scanning drops a result without a file, so an upload would look clean: refuse.
        raise UnusableInput("--format sarif: an installed distribution is no file of the repository, and GitHub "
                            "code scanning does not show results without one; use --format github, json or text")
    paths = args.inputs or ([] if args.installed or args.all_installed else ["."])
    sources = read_sources(paths)
    if args.installed or args.all_installed:
        sources += installed_sources(None if args.all_installed else args.installed, args.python)
    report = lint(sources, ignore=args.ignore)
    if args.format == "sarif":
        from .sarif import as_sarif

        print(json.dumps(as_sarif(report), indent=2))
    elif args.format == "github":
        from .annotations import as_annotations

        print(printable(as_annotations(report)))
    else:
        _print(report, args.format, format_text, as_json)
    return report.exit_status


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return f"pinlab {version('pinlab')}"
    except PackageNotFoundError:  # run from a source tree that was never installed
        return "pinlab (version unknown: not installed)"


# -- pinlab explain ---------------------------------------------------------------------------------

def _add_explain(parser: argparse.ArgumentParser) -> None:
    # True to explain.Explanation.exit_status: "no fix" (no release escapes the advisory) is reported, not 1.
    parser.epilog = ("exit status: 0 when every vulnerable package was checked and none has its fix blocked (a "
                     "package whose advisory no release fixes is reported, and does not change the status); 1 when "
                     "an installed requirement blocks a fix, or a package could not be checked (never all clear); "
                     "2 for unusable input.")
    parser.add_argument("--python", metavar="PATH", help="the environment's interpreter (default: this one)")
    data = parser.add_mutually_exclusive_group(required=True)
    data.add_argument("--audit-json", metavar="FILE",
                      help="pip-audit's report (pip-audit -f json) or uv audit's (uv audit --output-format json)")
    data.add_argument("--advisories", metavar="DIR", help="a folder of OSV records (*.json)")
    parser.add_argument("--find-links", metavar="DIR",
                        help="a folder of wheels and sdists to look in for a newer release of a blocker")
    _add_format(parser)


def _run_explain(args: argparse.Namespace) -> int:
    from .environment import read_environment
    from .explain import as_json, check_not_empty, explain, format_text, from_advisories, from_audit_json

    environment = read_environment(args.python)
    check_not_empty(environment, f"--python {Path(args.python).as_posix()}" if args.python else "this interpreter")
    if args.audit_json:
        vulnerabilities = from_audit_json(args.audit_json, environment)
    else:
        vulnerabilities = from_advisories(args.advisories, environment)
    explanation = explain(environment, vulnerabilities, find_links=args.find_links)
    _print(explanation, args.format, format_text, as_json)
    return explanation.exit_status


# -- pinlab doctor ----------------------------------------------------------------------------------

def _add_doctor(parser: argparse.ArgumentParser) -> None:
    pass  # it takes no arguments: it checks this machine, from the kit's folder


def _run_doctor(args: argparse.Namespace) -> int:
    from .doctor import main as doctor

    return doctor([])


# -- the command ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Subcommand:
    """One ``pinlab`` subcommand."""

    name: str
    help: str
    add_arguments: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace], int]
    """Runs it and returns the exit status; raises UnusableInput for unusable input."""


SUBCOMMANDS = (
    Subcommand("lint", "does a library's metadata pin its dependencies with ==, or cap them?", _add_lint, _run_lint),
    Subcommand("explain", "which installed requirement keeps the fix for a vulnerability out?",
               _add_explain, _run_explain),
    Subcommand("doctor", "is this machine ready for the workshop? (0 ready, 1 a problem was found)",
               _add_doctor, _run_doctor),
)


def _add_format(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--format", choices=("text", "json"), default="text", help="output format (default: text)")


def _print(result: object, format: str, as_text: Callable[[Any], str], as_data: Callable[[Any], object]) -> None:
    if format == "json":
        print(json.dumps(as_data(result), indent=2))
    else:
        print(printable(as_text(result)))


def _stdout_encoding() -> str:
    return getattr(sys.stdout, "encoding", None) or "utf-8"


def stdout_encodes(text: str) -> bool:
    """Can standard output write *text* as it is? Not with ``PYTHONIOENCODING=latin-1``, or a file
    redirected in a Windows cp1252 locale (``pinlab doctor > doctor.txt``), for ``✔``."""
    try:
        text.encode(_stdout_encoding())
    except (UnicodeEncodeError, LookupError):
        return False
    return True


def printable(text: str) -> str:
    """*text*, with what standard output cannot encode (an ``é`` in a path, on cp437) as ``?``:
    a report with one odd character is better than a traceback instead of the report."""
    if stdout_encodes(text):
        return text
    encoding = _stdout_encoding()
    try:
        return text.encode(encoding, errors="replace").decode(encoding)
    except LookupError:  # an encoding Python does not know cannot have been set on a stream
        return text.encode("ascii", errors="replace").decode("ascii")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="pinlab",
                     description="Find == pins in libraries, and what keeps a fix out of an environment.")
    parser.add_argument("--version", action="version", version=_version())
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND", parser_class=_Parser)
    for command in SUBCOMMANDS:
        sub = commands.add_parser(command.name, help=command.help, description=command.help)
        command.add_arguments(sub)
        sub.set_defaults(run=command.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``pinlab`` with *argv* (default: the command line); return the exit status.

    A reader that stops early (``pinlab lint | head -1``) ends the command quietly, with
    :data:`BROKEN_PIPE`, as the Python docs' note on SIGPIPE recommends: no traceback.
    """
    try:
        try:
            return _run(argv)
        finally:
            # Flush here, so that a closed pipe is found inside this try, not at interpreter exit.
            if sys.stdout is not None:  # None under pythonw (Windows), which has no console
                sys.stdout.flush()
    except BrokenPipeError:
        # Python flushes standard output again at exit: send what is left to devnull, or that
        # flush fails too ("Exception ignored ... BrokenPipeError").
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return BROKEN_PIPE


BROKEN_PIPE = 1
"""The exit status when standard output is closed before the command is done (the Python docs'
choice for EPIPE): the reader saw part of the output, so it is never 0, never all clear."""


def _run(argv: Sequence[str] | None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.run(args)
    except UnusableInput as exc:
        print(f"pinlab {args.command}: error: {exc}", file=sys.stderr)
        return USAGE_ERROR


def run_pinlab(*args: str | Path, cwd: str | Path | None = None,
               placeholders: Placeholders | Mapping[str | Path, str] | None = None) -> Completed:
    """Run ``python -m pinlab ARGS`` in a subprocess, shown as a reader would type ``pinlab ARGS``.

    Returns a :class:`~pinlab.process.Completed` (a ``$ pinlab ...`` transcript in a notebook).
    *placeholders* hide machine paths: a sandbox's, or ``{index.path: "<index>"}``.
    """
    if placeholders is not None and not isinstance(placeholders, Placeholders):
        placeholders = Placeholders({str(path): name for path, name in placeholders.items()})
    argv = [str(arg) for arg in args]
    return run([sys.executable, "-m", "pinlab", *argv], shown_as=["pinlab", *argv], cwd=cwd,
               placeholders=placeholders)
