"""Exercises: a working copy the learner edits, a reset, and self-checks that answer in a line.

The learner changes something real: a copy of a toy project (or another example) in a visible
folder next to the notebooks, ``workspace/``, which JupyterLab's file browser shows. A self-check
builds and installs what the learner wrote with the real tools and answers with one friendly
line, ``✔ ...`` or ``✘ ...`` and a hint, never an exception or a build backend's traceback.
A learner cannot spoil an exercise by accident. The setup cell's ``ensure()`` makes the copy only
when it is missing, so running it again keeps the learner's edit; ``reset()`` is the explicit way
to start over; the closing cell's ``finish()`` puts the original back only once the copy passed
its check, so Run All cannot throw work away. The solution cells start with ``%%solution``, a
cell magic registered when a notebook imports this module: in a learner's kernel it does not run
the cell, but says how to (``%%solution apply``), so Run All cannot mark an exercise solved.

The kit's own runs (nbval, ``nox -s refresh``) set ``PINLAB_RUN_SOLUTIONS=1``: then every
solution runs, and ``ensure()`` always starts from the original, so that a copy left by an
earlier or killed run cannot change the committed outputs. Those outputs are the solved path,
which is what the rendered guide shows.

Each chapter's check is a function here (``check_*``); the notebooks call them.
"""

from __future__ import annotations

import ast
import difflib
import functools
import hashlib
import os
import re
import shutil
import sys
import textwrap
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

from .conflicts import broken_promises, hash_refusal, last_error, last_sentence
from .requirements_files import RequirementLine, RequirementsFileError, parse_requirements_file
from .toys import NOT_SOURCE, Toy, ToyError, build_wheel, examples_dir, find_substitute, find_toy, load_toy
from .workdir import remove_tree

if TYPE_CHECKING:  # imported where used, so that importing the exercises stays light
    from IPython.lib.pretty import RepresentationPrinter  # IPython calls _repr_pretty_; pinlab does not need it

    from .index import LocalIndex
    from .lint import Report
    from .sandbox import Outcome, Sandbox

WORKSPACE = "workspace"
"""The folder, beside the notebooks, that holds the learners' working copies."""

RUN_SOLUTIONS = "PINLAB_RUN_SOLUTIONS"
"""The environment variable the kit's own runs set to 1: solutions run, copies start fresh."""


def kit_run() -> bool:
    """True in the kit's own runs (nbval, refresh: ``PINLAB_RUN_SOLUTIONS=1``), not in a learner's kernel."""
    return os.environ.get(RUN_SOLUTIONS, "") not in ("", "0")


class ExerciseError(ValueError):
    """An exercise cannot go on as written; the message says which file and what to do."""


@dataclass(frozen=True)
class Check:
    """The answer of a self-check: passed or not, in words a learner can act on."""

    passed: bool
    """True when the learner's change does what the exercise asks."""
    message: str
    """One line: what happened."""
    hint: str = ""
    """When not passed: what to try next."""
    details: str = ""
    """The transcript behind the answer (e.g. pip's output), for the curious; not shown by default."""
    note: str = ""
    """When not passed: a line about the file itself, e.g. that it is as at the last check (unsaved?)."""

    def __bool__(self) -> bool:
        return self.passed

    def __str__(self) -> str:
        # Wrapped to the width of a notebook's output area, so nobody scrolls sideways.
        if self.passed:
            return _wrap(f"✔ {self.message}", "  ")
        lines = [_wrap(f"✘ {self.message}", "  ")]
        if self.hint:
            lines.append(_wrap(f"  Hint: {self.hint}", "        "))
        if self.note:  # the keys to press stay on one line
            lines.append(_wrap(f"  {self.note}".replace(_KEYS, _KEYS.replace(" ", "\0")), "  "))
        return "\n".join(lines)

    def _repr_pretty_(self, printer: RepresentationPrinter, cycle: bool) -> None:
        # In a notebook, the answer shows as the two lines a learner reads, not as a dataclass.
        printer.text(str(self))


class WorkingCopy:
    """A copy of an example folder in ``workspace/``, for the learner to edit.

    ``WorkingCopy.of_toy("toyhost-export==0.3a1")`` names the copy of that toy; ``ensure()``
    makes it if it is missing and keeps it otherwise; ``reset()`` (re)creates it from the
    original; ``finish()`` puts the original back once the copy passed its check. The copy is
    named like the original's folder, so it is easy to find in the file browser.
    """

    def __init__(self, source: Path, workspace: Path | None = None) -> None:
        self.source = Path(source)
        self.workspace = Path(workspace) if workspace is not None else Path.cwd() / WORKSPACE
        self.path = self.workspace / self.source.name
        self._passed: str | None = None
        """The fingerprint of the files the last check passed on (None: it did not pass)."""

    @classmethod
    def of_toy(cls, key: str, workspace: Path | None = None) -> WorkingCopy:
        """The working copy of the toy release *key*, e.g. ``"toyhost-export==0.3a1"``."""
        return cls(find_toy(key).source, workspace)

    @classmethod
    def of_example(cls, name: str, workspace: Path | None = None) -> WorkingCopy:
        """The working copy of ``examples/exercises/<name>``, e.g. ``"app-requirements"``."""
        return cls(examples_dir() / "exercises" / name, workspace)

    @property
    def shown(self) -> str:
        """How messages name the copy: ``workspace/<folder>``, the same on every machine."""
        return f"{self.workspace.name}/{self.path.name}"

    def file(self, name: str = "pyproject.toml") -> Path:
        """The path of *name* inside the working copy."""
        return self.path / name

    def ensure(self) -> WorkingCopy:
        """The exercise's setup: make the working copy if it is missing, keep it if it is there
        (running the setup cell again must not throw the learner's edit away); say which; return it.

        In the kit's own runs (:func:`kit_run`) the copy is always made afresh, so that one left
        by an earlier or killed run cannot change the outputs: they must be those of a first run.
        """
        if self.path.is_dir() and not kit_run():
            changed = self.changed()
            state = f"edited: {', '.join(changed)}" if changed else "unchanged"
            print(_wrap(f"kept your copy in {self.shown} ({state}); reset() starts over from the original.", ""))
        else:
            self._copy_original()
            print(f"made {self.shown} from the original")
        return self

    def reset(self) -> WorkingCopy:
        """Replace the working copy by a fresh copy of the original, and say how to see it in the
        editor; return the copy (it shows its state)."""
        self._copy_original()
        print(_wrap(f"put the original back in {self.shown}. {_RELOAD}", ""))
        return self

    def finish(self) -> None:
        """The exercise's last cell: put the original back for the next learner, but only once the
        copy, as it is now, passed its check; otherwise keep it and say why, so that Run All
        cannot throw away work in progress."""
        if not self.path.is_dir():
            print(f"{self.shown} is not there: nothing to put back (ensure() makes it again).")
        elif not self.changed():
            print(f"{self.shown} is the original still: nothing to put back.")
        elif self._passed is not None and self._passed == self._fingerprint():
            self._copy_original()
            print(_wrap(f"✔ Done: put the original back in {self.shown}, for the next learner. {_RELOAD}", ""))
        else:
            print(_wrap(f"kept your copy in {self.shown} (edited: {', '.join(self.changed())}): its check has "
                        "not said ✔ for it as it is now. Run the check again; reset() starts over.", ""))

    def _copy_original(self) -> None:
        remove_tree(self.path)
        self.workspace.mkdir(parents=True, exist_ok=True)
        shutil.copytree(self.source, self.path, ignore=_build_leftovers)
        self._passed = None
        _LAST_CHECKED.pop(self._key(), None)

    def _key(self) -> str:
        return os.path.normcase(os.path.abspath(self.path))

    def _digest(self, file: str, root: Path | None = None) -> str | None:
        """The sha256 of *file* in the copy (or under *root*), None if it cannot be read."""
        try:
            return hashlib.sha256(((root or self.path) / file).read_bytes()).hexdigest()
        except OSError:
            return None

    def _fingerprint(self) -> str:
        """A digest of every file of the copy: a check's verdict holds for these contents only."""
        digest = hashlib.sha256()
        for name in sorted(_files(self.path)):
            digest.update(name.encode() + b"\0" + hashlib.sha256((self.path / name).read_bytes()).digest())
        return digest.hexdigest()

    def edit(self, old: str, new: str, file: str = "pyproject.toml") -> None:
        """Replace *old* by *new* in *file*, as a learner would in the editor.

        Applying the same edit twice changes nothing; a file holding neither text is an error
        that says how to start again.
        """
        path = self.file(file)
        text = self._read(file)
        if old in text:
            path.write_text(text.replace(old, new), encoding="utf-8")
        elif new not in text:
            raise ExerciseError(f"{self.shown}/{file}: found neither {old!r} nor {new!r}; "
                                f"start again with reset()")

    def diff(self, file: str = "pyproject.toml") -> str:
        """What the learner changed in *file*, as a unified diff against the original."""
        before = (self.source / file).read_text(encoding="utf-8").splitlines(keepends=True)
        after = self._read(file).splitlines(keepends=True)
        return "".join(difflib.unified_diff(before, after, fromfile=f"original/{file}", tofile=f"{self.shown}/{file}"))

    def changed(self) -> list[str]:
        """The files (relative, with ``/``) that differ from the original, or are new or gone."""
        if not self.path.is_dir():
            return ["(the whole folder is missing)"]
        ours, theirs = _files(self.path), _files(self.source)
        return sorted(name for name in ours | theirs
                      if name not in ours or name not in theirs
                      or (self.path / name).read_bytes() != (self.source / name).read_bytes())

    def load(self) -> Toy:
        """The working copy read as a toy project; a broken edit raises :class:`ToyError` in one line."""
        try:
            return load_toy(self.path)
        except ToyError as exc:
            raise ToyError(self._shown_paths(str(exc))) from None

    def build(self) -> Path:
        """The wheel of the working copy, built by the real backend (cached by content)."""
        toy = self.load()
        try:
            return build_wheel(toy)
        except ToyError as exc:
            raise ToyError(self._shown_paths(str(exc))) from None

    def _read(self, file: str) -> str:
        try:
            return self.file(file).read_text(encoding="utf-8")
        except FileNotFoundError:
            raise ExerciseError(f"{self.shown}/{file}: file not found; start again with reset()") from None

    def _shown_paths(self, message: str) -> str:
        # Learners read "workspace/<folder>/pyproject.toml", not this machine's absolute path.
        return message.replace(str(self.path), self.shown).replace(self.path.as_posix(), self.shown)

    def __repr__(self) -> str:
        changed = self.changed()
        return f"{self.shown}: " + (f"edited {', '.join(changed)}" if changed else "unchanged")


# JupyterLab keeps an open editor tab as it was, and when the learner next saves it, asks "File
# Changed" with Overwrite as the default button, which would write the old edit back.
_RELOAD = ("If a file of it is open in an editor tab, reload it: " + "File > Reload File from Disk".replace(" ", "\0")
           + ", or choose Revert (not Overwrite) when JupyterLab says the file changed on disk.")


# What each working copy's file held at its last check (the copy's folder -> sha256 of the file).
# Kept by the module, not by the WorkingCopy, so that running the setup cell again (a new
# WorkingCopy of the same folder) still remembers; reset() and a fresh copy forget.
_LAST_CHECKED: dict[str, str] = {}

_KEYS = "(Ctrl+S / Cmd+S)"
_SAVE = f"did you save it in the editor {_KEYS}?"


def remembers_verdict(file: str) -> Callable[[Callable[[WorkingCopy], Check]], Callable[[WorkingCopy], Check]]:
    """Record on the working copy which contents a check passed on, for :meth:`WorkingCopy.finish`;
    and when the check says ✘ on *file* as it was at the last check or at setup, say so: in
    JupyterLab, an edit not saved in its editor tab is not in the file the check reads."""
    def remembering(check: Callable[[WorkingCopy], Check]) -> Callable[[WorkingCopy], Check]:
        @functools.wraps(check)
        def checked(copy: WorkingCopy) -> Check:
            read = copy._digest(file)
            previous = _LAST_CHECKED.get(copy._key())
            verdict = check(copy)
            copy._passed = copy._fingerprint() if verdict.passed else None
            if read is None:  # the file is gone: the verdict already says so
                _LAST_CHECKED.pop(copy._key(), None)
                return verdict
            _LAST_CHECKED[copy._key()] = read
            if verdict.passed or verdict.note:
                return verdict
            original = read == copy._digest(file, copy.source)
            shown = f"{copy.shown}/{file}"
            if read == previous:
                state = "exactly as at your last check, the original as at setup" if original else \
                    "exactly as at your last check"
                return replace(verdict, note=f"{shown} is {state}: {_SAVE}")
            if original:
                return replace(verdict, note=f"{shown} is still the original, as at setup: edit it and save it "
                                             f"{_KEYS} for the check to see your change.")
            return verdict
        return checked
    return remembering


# -- solutions: %%solution -------------------------------------------------------------------

_APPLY = "%%solution\0apply"  # kept on one line by _wrap
_SKIPPED = (f"This cell holds the solution, kept out of Run All: to apply it, change its first line to {_APPLY} "
            "and run the cell.")


def solution(line: str, cell: str) -> Any:
    """The ``%%solution`` cell magic: run the cell's body only when asked.

    ``%%solution apply``, or the kit's own runs (:func:`kit_run`), run the body in the notebook's
    namespace, and its last expression is the cell's result, as in a plain cell. Otherwise the
    body is not run and one line says how to apply it. In a learner's kernel, a solution that
    cannot apply (the file was edited past recognition) answers in one line, not a traceback.
    """
    words = line.split()
    if words not in ([], ["apply"]):
        print(_wrap(f"%%solution takes one word, apply, not {line.strip()!r}: change the first line to "
                    f"{_APPLY} to run this cell.", ""))
        return None
    if not words and not kit_run():
        print(_wrap(_SKIPPED, ""))
        return None
    shell = _ipython()
    namespace = shell.user_ns if shell is not None else sys.modules["__main__"].__dict__
    try:
        return _run(cell, namespace, shell)
    except ExerciseError as exc:
        if kit_run():  # the kit's own run must fail loudly: nbval and refresh see the error
            raise
        print(_wrap(f"✘ The solution cannot apply: {exc}", "  "))
        return None


def _run(source: str, namespace: dict[str, Any], shell: Any) -> Any:
    """Run *source* as a cell would: every statement, then the value of a final expression."""
    if shell is not None:
        source = shell.transform_cell(source)  # IPython syntax (!, %) works, as in any cell
        filename = shell.compile.cache(source)  # so that a traceback shows the solution's lines
    else:
        filename = "<solution>"
    tree = ast.parse(source, filename)
    last = tree.body[-1] if tree.body else None
    if isinstance(last, ast.Expr):  # the value of the solution's last expression is shown
        tree.body.pop()
    else:
        last = None
    exec(compile(tree, filename, "exec"), namespace)
    if last is None:
        return None
    return eval(compile(ast.Expression(last.value), filename, "eval"), namespace)


def _ipython() -> Any:
    """The running IPython shell, if any: IPython is not imported unless a kernel already has."""
    module = sys.modules.get("IPython")
    return module.get_ipython() if module is not None else None


def _register_solution_magic() -> None:
    shell = _ipython()
    if shell is not None:
        shell.register_magic_function(solution, magic_kind="cell", magic_name="solution")


_register_solution_magic()


def _wrap(text: str, indent: str) -> str:
    # A NUL stands for a space the line must not break at (a menu path such as File > Reload).
    return textwrap.fill(text, width=72, subsequent_indent=indent, break_long_words=False,
                         break_on_hyphens=False).replace("\0", " ")


def _build_leftovers(folder: str, names: list[str]) -> list[str]:
    return [name for name in names if name in NOT_SOURCE or name.endswith((".egg-info", ".pyc"))]


def _files(root: Path) -> set[str]:
    skipped = NOT_SOURCE | {".ipynb_checkpoints"}
    return {path.relative_to(root).as_posix() for path in root.rglob("*")
            if path.is_file() and not skipped & set(path.relative_to(root).parts) and path.suffix != ".pyc"}


def _requirement_on(toy: Toy, project: str) -> Requirement | None:
    for dependency in toy.dependencies:
        requirement = Requirement(dependency)
        if canonicalize_name(requirement.name) == canonicalize_name(project):
            return requirement
    return None


def _still_needs(toy: Toy, pyproject: str, needs: dict[str, str]) -> Check | None:
    """A failed check if the edit dropped a requirement the code imports, or raised its lower
    bound past the release the code was written for (*needs*: project -> that release)."""
    for project, oldest in needs.items():
        requirement = _requirement_on(toy, project)
        if requirement is None:
            return Check(False, f"{pyproject} no longer requires {project}, which the plugin imports.",
                         f"keep the requirement on {project} and change only its version specifier")
        if not requirement.specifier.contains(oldest, prereleases=True):
            return Check(False, f"{requirement} leaves out {project} {oldest}, the release the plugin was "
                                "written and tested for.", "state the oldest release that works as a lower bound")
    return None


def _projects(*keys: str) -> set[str]:
    """The canonical project names of an index's toy keys, e.g. ``"toyhost==1.0a27"`` -> toyhost."""
    return {canonicalize_name(key.partition("==")[0]) for key in keys}


def _unknown_project(requirements: list[tuple[str, Requirement]], known: set[str]) -> Check | None:
    """A failed check for the first requirement naming a project the exercise's index does not
    have (a typo, as a rule), with the known name it is closest to; None if every name is known.
    *requirements*: where each is written (the file, and its line), and the requirement.

    It comes before the installers: pip would only say it found no such distribution, and a
    resolver-based hint would send the learner after the wrong problem."""
    for where, requirement in requirements:
        name = canonicalize_name(requirement.name)
        if name in known:
            continue
        close = difflib.get_close_matches(name, sorted(known), n=1)
        if close:
            return Check(False, f"{where}: no project named {requirement.name}: did you mean {close[0]}?",
                         "fix the name in the file and save it")
        return Check(False, f"{where}: no project named {requirement.name}: this exercise's index has only "
                            f"{', '.join(sorted(known))}.", "fix the name in the file and save it")
    return None


def _broken(copy: WorkingCopy, exc: ToyError, file: str = "pyproject.toml") -> Check:
    if not copy.file(file).is_file():
        return Check(False, str(exc), "start again with reset()")
    return Check(False, str(exc), "fix that in the file and save it, or start again with reset()")


@dataclass(frozen=True)
class _Built:
    """A library's working copy, read, built and linted, ready for the installers."""

    toy: Toy
    wheel: Path
    report: Report
    """What ``pinlab lint`` finds in the source and in the wheel (a :class:`pinlab.lint.Report`)."""


def _build_library(copy: WorkingCopy, needs: dict[str, str], index: tuple[str, ...]) -> _Built | Check:
    """Read the learner's library, check it names only projects of the exercise's *index* (toy
    keys) and still needs what its code imports (*needs*), build it and lint it; or the failed
    :class:`Check` that says what stops that, in one line."""
    from .lint import lint
    from .requirements import UnusableInput, read_source

    try:
        toy = copy.load()
        shown = f"{copy.shown}/pyproject.toml"
        unknown = _unknown_project([(shown, Requirement(str(dependency))) for dependency in toy.dependencies],
                                   _projects(*index) | {canonicalize_name(toy.name)})
        if unknown is not None:
            return unknown
        missing = _still_needs(toy, f"{copy.shown}/pyproject.toml", needs)
        if missing is not None:
            return missing
        wheel = copy.build()
        return _Built(toy, wheel, lint([read_source(copy.path), read_source(wheel)]))
    except (ToyError, UnusableInput) as exc:
        return _broken(copy, ToyError(copy._shown_paths(str(exc))))


# -- chapter 1 ------------------------------------------------------------------------------

# The index the plugin is installed from beside toyhost-charts (and the plugin's own wheel).
_CHARTS_INDEX = ("toyhost==1.0a27", "toyhost==1.0a28", "toyhost-charts")

@remembers_verdict("pyproject.toml")
def check_loosened_pin(plugin: WorkingCopy) -> Check:
    """Chapter 1: does the learner's copy of toyhost-export 0.3a1 install beside toyhost-charts?

    The copy is built by the real backend and installed by pip, with toyhost-charts, into a
    sandbox whose index holds both host releases; then the plugin's own tests run there.
    """
    from .index import toy_index
    from .sandbox import Sandbox

    pyproject = f"{plugin.shown}/pyproject.toml"
    built = _build_library(plugin, {"toyhost": "1.0a27"}, _CHARTS_INDEX)
    if isinstance(built, Check):
        return built
    toy, wheel, host = built.toy, built.wheel, _requirement_on(built.toy, "toyhost")
    assert host is not None  # _build_library checked that the copy still requires toyhost

    with toy_index(*_CHARTS_INDEX) as index:
        index.add(wheel)
        with Sandbox(index) as sandbox:
            installed = sandbox.pip("install toyhost-export toyhost-charts")
            if not installed.ok:
                why = _refusal(installed)
                admitted = [v for v in ("1.0a27", "1.0a28") if host.specifier.contains(v, prereleases=True)]
                return Check(False, f"pip cannot install your toyhost-export beside toyhost-charts: {why}.",
                             f"{host} admits {_releases(admitted)}; toyhost-charts "
                             f"needs 1.0a28 or newer. In {pyproject}, state the oldest host release the plugin "
                             "needs, not the only one it accepts.",
                             str(installed))
            tests = sandbox.test(toy)
            chosen = installed.installed.get("toyhost", "?")
            if not tests.ok:
                return Check(False, f"your toyhost-export installs beside toyhost-charts, "
                                    f"but its own tests fail with toyhost {chosen}.",
                             "did the edit touch more than the requirement? Compare with diff().", str(tests))
    return Check(True, "Your toyhost-export installs beside toyhost-charts: "
                       f"pip chose toyhost {chosen}, and the plugin's own tests pass.")


# The two pinned plugins of chapter 1's second exercise, each a project in one working copy
# (examples/exercises/two-plugins), and the host release each one's code needs at least.
_PAIR_NEEDS = {"toyhost-notes": {"toyhost": "1.0a28"}, "toyhost-search": {"toyhost": "1.0a27"}}
_PAIR_INDEX = ("toyhost==1.0a27", "toyhost==1.0a28")
_PAIR_HOSTS = tuple(key.partition("==")[2] for key in _PAIR_INDEX)  # oldest first
_PAIR_FILES = tuple(f"{name}/pyproject.toml" for name in _PAIR_NEEDS)


def remembers_verdicts(*files: str) -> Callable[[Callable[[WorkingCopy], Check]], Callable[[WorkingCopy], Check]]:
    """:func:`remembers_verdict` for a check that reads several files of one copy: a ✘ on files
    all as at setup, or all as at the last check, says so (an unsaved editor tab?)."""
    def remembering(check: Callable[[WorkingCopy], Check]) -> Callable[[WorkingCopy], Check]:
        @functools.wraps(check)
        def checked(copy: WorkingCopy) -> Check:
            read = [copy._digest(file) for file in files]
            seen = hashlib.sha256(repr(read).encode()).hexdigest()
            previous = _LAST_CHECKED.get(copy._key())
            verdict = check(copy)
            copy._passed = copy._fingerprint() if verdict.passed else None
            _LAST_CHECKED[copy._key()] = seen
            if verdict.passed or verdict.note or None in read:
                return verdict
            shown = " and ".join(f"{copy.shown}/{file}" for file in files)
            if all(digest == copy._digest(file, copy.source) for digest, file in zip(read, files, strict=True)):
                return replace(verdict, note=f"{shown} are still the originals, as at setup: edit and save "
                                             f"{_KEYS} for the check to see your change.")
            if seen == previous:
                return replace(verdict, note=f"{shown} are exactly as at your last check: {_SAVE}")
            return verdict
        return checked
    return remembering


@remembers_verdicts(*_PAIR_FILES)
def check_both_plugins_install(pair: WorkingCopy) -> Check:
    """Chapter 1, second exercise: do the learner's copies of toyhost-notes and toyhost-search,
    each pinned to a different host release, install together, with honest lower bounds?

    Both are built by the real backend and installed together by pip; both plugins' tests run
    there, then each plugin's again at the oldest host release its requirement admits (if pip
    chose another); last, ``pinlab lint`` must find no pin left in either.
    """
    from .index import toy_index
    from .lint import lint
    from .requirements import UnusableInput, read_source
    from .sandbox import Sandbox

    toys: dict[str, Toy] = {}
    wheels: list[Path] = []
    pinned: dict[str, str] = {}  # plugin -> the first pin pinlab lint finds in it (source or wheel)
    for name, needs in _PAIR_NEEDS.items():
        shown = f"{pair.shown}/{name}/pyproject.toml"
        try:
            toy = load_toy(pair.path / name)
            unknown = _unknown_project([(shown, Requirement(dependency)) for dependency in toy.dependencies],
                                       _projects(*_PAIR_INDEX) | {canonicalize_name(toy.name)})
            if unknown is not None:
                return unknown
            missing = _still_needs(toy, shown, needs)
            if missing is not None:
                return missing
            wheel = build_wheel(toy)
            pins = [f.requirement for f in lint([read_source(toy.source), read_source(wheel)]).findings
                    if f.code in ("PIN001", "PIN002")]
            if pins:
                pinned[name] = pins[0]
        except (ToyError, UnusableInput) as exc:
            return _broken(pair, ToyError(pair._shown_paths(str(exc))), f"{name}/pyproject.toml")
        toys[name], wheels = toy, [*wheels, wheel]

    with toy_index(*_PAIR_INDEX) as index, Sandbox(index) as sandbox:
        for wheel in wheels:
            index.add(wheel)
        installed = sandbox.pip("install", *toys)
        if not installed.ok:
            return Check(False, f"pip cannot install toyhost-notes beside toyhost-search: {_refusal(installed)}.",
                         "each plugin pins the host to one release, a different one. Read each plugin's code "
                         "and tests (src/ and tests/ in its folder) to see which host releases it works with; "
                         "then in each pyproject.toml state the oldest of them, not the only one.",
                         str(installed))
        chosen = installed.installed.get("toyhost", "?")
        for name, toy in toys.items():
            tests = sandbox.test(toy)
            if not tests.ok:
                host = _requirement_on(toy, "toyhost")
                return Check(False, f"pip installs both plugins, with toyhost {chosen}, but the tests of "
                                    f"{name} fail there: {host} admits a host release {name} does not work with.",
                             f"read the code of {name}: what does it need from the host? Keep its lower bound at a "
                             "release its tests pass with, and loosen the other plugin's pin instead.",
                             str(tests))
        for name, toy in toys.items():  # the oldest host each requirement promises to work with
            host = _requirement_on(toy, "toyhost")
            assert host is not None  # _still_needs checked that each still requires the host
            oldest = next((v for v in _PAIR_HOSTS if host.specifier.contains(v, prereleases=True)), chosen)
            if oldest == chosen:
                continue
            sandbox.uv("pip install --no-deps", f"toyhost=={oldest}")
            tests = sandbox.test(toy)
            if not tests.ok:
                return Check(False, f"both plugins install, with toyhost {chosen}, and their tests pass; but "
                                    f"{name} declares {host}, and its own tests fail with toyhost {oldest}.",
                             "a lower bound promises the plugin works there: state the oldest release its "
                             "tests pass with", str(tests))
    for name, pin in pinned.items():
        return Check(False, f"both plugins install, with toyhost {chosen}, and their tests pass; but {name} "
                            f"still pins {pin}: the next plugin that needs another host release meets the "
                            "same refusal.", _PIN_HINT)
    lines = ", ".join(f"{name} {_requirement_on(toy, 'toyhost')}" for name, toy in toys.items())
    return Check(True, f"Both plugins install together ({lines}): pip chose toyhost {chosen}, and each "
                       "plugin's tests pass there and at the oldest host release it declares.")


# -- chapter 3 ------------------------------------------------------------------------------



def read_requirements(copy: WorkingCopy, file: str = "requirements.txt") -> list[Requirement]:
    """The requirements in *file* of the working copy; a line that does not parse raises
    :class:`ToyError` in one line naming the file, the line number and what is wrong."""
    return [line.requirement for line in read_requirement_lines(copy, file)]


def read_requirement_lines(copy: WorkingCopy, file: str = "requirements.txt",
                           hashes: bool = False) -> list[RequirementLine]:
    """The lines of *file* that ask for something, read as pip reads them
    (:func:`pinlab.requirements_files.parse_requirements_file`); with *hashes*, a line may carry
    ``--hash`` options, as in a lock file. Anything else raises :class:`ToyError` in one line
    naming the file, the line and what is wrong."""
    shown = f"{copy.shown}/{file}"
    try:
        text = copy.file(file).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ToyError(f"{shown}: file not found") from None
    try:
        return parse_requirements_file(text, hashes=hashes, reader="this exercise")
    except RequirementsFileError as exc:
        raise ToyError(f"{shown}, {exc}") from None


# The index the application's owner installs from: the host's fix and the plugin's fixed release.
_REPAIR_INDEX = ("toyhost==1.0a27", "toyhost==1.0a28", "toyhost-export")


@remembers_verdict("requirements.txt")
def check_repaired_environment(app: WorkingCopy) -> Check:
    """Chapter 3: do the learner's requirements give the application the fixed host, with every
    installed requirement still satisfied?

    The application as it is (plugin 0.3a1, host 1.0a27) is installed in a sandbox whose index
    also has the host's fix and the plugin's fixed release; then pip installs the learner's file
    over it, the way the owner would apply a change, and ``pip check`` looks for broken promises.
    """
    from .advisories import load_advisories
    from .conflicts import YOU, parse_conflict
    from .index import toy_index
    from .sandbox import Sandbox

    shown = f"{app.shown}/requirements.txt"
    try:
        lines = read_requirement_lines(app)
    except ToyError as exc:
        return _broken(app, exc, "requirements.txt")
    if not lines:
        return Check(False, f"{shown} has no requirements left.", "the application still needs the export plugin")
    unknown = _unknown_project([(f"{shown}, line {line.number}", line.requirement) for line in lines],
                               _projects(*_REPAIR_INDEX))
    if unknown is not None:
        return unknown
    requirements = [line.requirement for line in lines]

    with toy_index(*_REPAIR_INDEX) as index, Sandbox(index) as sandbox:
        # The application as it runs today. Installed with uv (0.1 s, against pip's 0.4 s): only
        # the next install, the learner's file, is pip's to show.
        sandbox.uv("pip install toyhost-export==0.3a1")
        sandbox.add_placeholder(app.path, app.shown)
        applied = sandbox.pip("install", "-r", str(app.file("requirements.txt")))
        if not applied.ok:
            conflict = parse_conflict(applied.output)
            contested = {demand.target for demand in conflict.demands} if conflict else set()
            # The learner's own requests are named below as lines of their file, not as pip words them.
            why = [str(d) for d in conflict.demands if d.project != YOU] if conflict else [_last(applied.output)]
            why += [f"your file asks for {r}" for r in requirements if canonicalize_name(r.name) in contested]
            return Check(False, f"pip refuses {shown}: {'; '.join(why)}.",
                         "a pinned plugin and the fixed host cannot both be installed; is there a release of "
                         "the plugin whose requirement admits the fix?", str(applied))
        host = Version(applied.installed.get("toyhost", "0"))
        plugin = applied.installed.get("toyhost-export", "?")
        advisories = load_advisories().query("toyhost", host)  # chapter 3's, from examples/advisories
        if advisories:
            fix = min(advisories[0].fixed_versions("toyhost"))
            pin = _requirement_on(find_toy(f"toyhost-export=={plugin}"), "toyhost") if plugin != "?" else None
            hint = ("a plugin that admits the fix does not bring it: ask for the fixed host too"
                    if pin is None or pin.specifier.contains(fix, prereleases=True) else
                    f"toyhost-export {plugin} still requires {pin}, which keeps the fix out: ask for the fixed "
                    "host, and for a plugin release that admits it")
            return Check(False, f"pip installed {shown}, but the host is still toyhost {host}, "
                                f"which the advisory says is vulnerable (fixed in {fix}).", hint, str(applied))
        broken = sandbox.pip("check")
        if not broken.ok:
            return Check(False, f"the host is fixed (toyhost {host}), but pip check finds a broken promise: "
                                f"{_broken_promise(broken.output)}",
                         "forcing the host leaves the plugin's pin broken; ask for a plugin release that "
                         "admits the fix", str(broken))
    return Check(True, f"The application now runs toyhost {host} with toyhost-export {plugin}, "
                       "and pip check finds every requirement satisfied.")


# The public index on the day of the advisory: the host's fix is out, the plugin's is not.
_HOLIDAY_INDEX = ("toyhost==1.0a27", "toyhost==1.0a28", "toyhost-export==0.3a1")


@remembers_verdict("pyproject.toml")
def check_fix_today(project: WorkingCopy) -> Check:
    """Chapter 3, second exercise: does the learner's uv project lock and install the fixed host
    beside the pinned plugin, while no plugin release admits it yet? And what does the choice cost?

    The project is copied into a sandbox, locked with the real uv from an index with the host's
    fix and only the pinned plugin, audited with the real ``uv audit`` against the local advisory
    service, installed with ``uv sync``, and then ``pip check`` says which promise is broken.
    """
    from .advisories import load_advisories
    from .advisory_service import AdvisoryService
    from .auditing import uv_audit
    from .index import toy_index
    from .requirements import tomllib
    from .sandbox import Sandbox, uv_binary

    shown = f"{project.shown}/pyproject.toml"
    def requirements(written: list[Any]) -> list[Requirement]:
        try:
            return [Requirement(str(line)) for line in written]
        except InvalidRequirement as exc:
            bad = next(str(line) for line in written if not _parses(str(line)))
            raise ToyError(f"{shown}: invalid requirement {bad!r}: {str(exc).splitlines()[0]}") from None

    try:
        data = tomllib.loads(project.file("pyproject.toml").read_text(encoding="utf-8"))
        uv_settings = data.get("tool", {}).get("uv", {})
        dependencies = requirements(data.get("project", {}).get("dependencies", []))
        constraints = requirements(uv_settings.get("constraint-dependencies", []))
        overrides = requirements(uv_settings.get("override-dependencies", []))
    except FileNotFoundError:
        return _broken(project, ToyError(f"{shown}: file not found"))
    except tomllib.TOMLDecodeError as exc:
        return _broken(project, ToyError(f"{shown}: {str(exc).splitlines()[0]}"))
    except ToyError as exc:
        return _broken(project, exc)
    unknown = _unknown_project([(shown, r) for r in dependencies + constraints + overrides],
                               _projects(*_HOLIDAY_INDEX))
    if unknown is not None:
        return unknown
    if not any(canonicalize_name(r.name) == "toyhost-export" for r in dependencies):
        return Check(False, f"{shown} no longer depends on toyhost-export.",
                     "the application needs the export plugin: keep it, and bring the fixed host in beside it")

    with toy_index(*_HOLIDAY_INDEX) as index, Sandbox(index) as sandbox:
        sandbox.add_placeholder(project.path, project.shown)
        shutil.copytree(project.path, sandbox.path, dirs_exist_ok=True)
        locked = sandbox.uv("lock --no-index")
        if not locked.ok:
            asks = [(what, r) for what, given in (("dependency", dependencies), ("constraint", constraints))
                    for r in given if canonicalize_name(r.name) == "toyhost"]
            if not asks:
                return Check(False, f"uv cannot lock {shown}: {last_sentence(locked.output)}",
                             "0.3a1 is the plugin's only release so far; compare your file with the original: "
                             "project.diff()", str(locked))
            what, asked = asks[0]
            hint = ("a constraint only narrows what may be chosen, like pip's -c in the chapter: it cannot lift "
                    "the plugin's pin" if what == "constraint" else
                    "a dependency of your own is one more demand beside the plugin's, like asking pip for "
                    "both: something has to replace what the plugin declares")
            return Check(False, f"uv cannot lock {shown}: toyhost-export 0.3a1 requires toyhost==1.0a27, "
                                f"and your {what} asks for {asked}.", hint, str(locked))
        # The service starts only once there is a lock to audit, and stops as soon as it is read.
        with AdvisoryService(load_advisories()) as service:
            audited = uv_audit(sandbox, service)
        for package in audited.vulnerable:
            vuln = package.vulns[0]
            return Check(False, f"uv locked {shown} with {package.name} {package.version}, which uv audit reports "
                                f"vulnerable ({vuln.id}, fixed in {', '.join(vuln.fix_versions)}).",
                         "toyhost-export 0.3a1 still requires toyhost==1.0a27 and no release of it admits the "
                         "fix yet: your project must set aside what the plugin declares (a [tool.uv] setting)",
                         str(audited))
        env = {**sandbox.uv_env(), "UV_PROJECT_ENVIRONMENT": str(sandbox.python.parent.parent)}
        # --inexact: keep pip in the sandbox, which pip check needs.
        sync = ["sync", "--frozen", "--inexact"]
        synced = sandbox.run([uv_binary(), *sync], shown_as=["uv", *sync], env=env)
        if not synced.ok:
            return Check(False, f"uv locked {shown}, but uv sync fails: {last_sentence(synced.output)}",
                         "compare your file with the original: project.diff()", str(synced))
        host, plugin = synced.installed.get("toyhost"), synced.installed.get("toyhost-export")
        checked = sandbox.pip("check")
    got = f"uv locks and installs toyhost {host} beside toyhost-export {plugin}, and uv audit finds nothing."
    if checked.ok:
        return Check(True, f"{got} pip check finds every requirement satisfied. The cost: a fork to maintain "
                           "until upstream's fixed release replaces it.")
    return Check(True, f"{got} The cost: pip check reports {_broken_promise(checked.output)} The override "
                       "stays in pyproject.toml until the plugin's fixed release is out: then remove it.")


def _parses(line: str) -> bool:
    try:
        Requirement(line)
    except InvalidRequirement:
        return False
    return True


# -- chapter 5 ------------------------------------------------------------------------------

# What toyhost-gallery's code imports, and the oldest release of each its tests were written for.
_GALLERY_NEEDS = {"toyhost": "1.0a27", "toyhost-export": "0.3a2"}
_GALLERY_INDEX = ("toyhost", "toyhost-export")


@remembers_verdict("pyproject.toml")
def check_lint_clean(gallery: WorkingCopy) -> Check:
    """Chapter 5: does ``pinlab lint`` find nothing in the learner's toyhost-gallery, source and
    wheel, while it still declares what its code needs and its tests pass with the newest releases?
    """
    from .index import toy_index
    from .sandbox import Sandbox

    built = _build_library(gallery, _GALLERY_NEEDS, _GALLERY_INDEX)
    if isinstance(built, Check):
        return built
    toy, wheel = built.toy, built.wheel
    unfinished = _lint_verdict(built.report)
    if unfinished is not None:  # a failed Check is falsy
        return unfinished

    with toy_index(*_GALLERY_INDEX) as index, Sandbox(index) as sandbox:
        index.add(wheel)
        installed = sandbox.pip("install toyhost-gallery")
        if not installed.ok:
            return Check(False, f"pip cannot install your toyhost-gallery: {_last(installed.output)}",
                         "compare your requirements with the original: gallery.diff()", str(installed))
        tests = sandbox.test(toy)
        chosen = ", ".join(f"{name} {version}" for name, version in installed.installed.items()
                           if name != "toyhost-gallery")
        if not tests.ok:
            return Check(False, f"your toyhost-gallery installs (with {chosen}), but its own tests fail.",
                         "did the edit touch more than the requirements? Compare with diff().", str(tests))
    return Check(True, f"pinlab lint finds nothing in your toyhost-gallery, source or wheel; pip installs it "
                       f"with {chosen}, the newest releases, and its tests pass.")


# The library of the second exercise: what its code imports, and the index it is installed from.
_SLIDES_NEEDS = {"toyhost": "1.0a28", "toyhost-export": "0.3a2", "toyhost-charts": "0.1"}
_SLIDES_INDEX = ("toyhost", "toyhost-export", "toyhost-charts")
_ALLOW_HINT = "say why in a [[tool.pinlab.allow]] entry (code, requirement, reason) in pyproject.toml"


@remembers_verdict("pyproject.toml")
def check_caps_with_evidence(slides: WorkingCopy) -> Check:
    """Chapter 5: are the learner's toyhost-slides requirements ranges, except the one cap with
    evidence of a break, kept with its reason?

    The copy is built and linted (an exact pin fails at once); uv (quicker, and it picks as pip
    does) installs it from an index of every release of its dependencies, and its tests run.
    Then, for each requirement that keeps out a newer release than uv chose, that release is
    installed beside it (``--no-deps``) and the tests run again: a failure is the evidence a cap
    needs, a pass shows the cap has none.
    """
    from .index import toy_index
    from .lint import lint
    from .requirements import UnusableInput, read_source
    from .sandbox import Sandbox

    try:  # a pin in the source is answered at once, without building the wheel
        source = lint([read_source(slides.path)])
    except UnusableInput:
        source = None  # _build_library says what is wrong, in one line
    if source is not None and {finding.code for finding in source.findings} & {"PIN001", "PIN002"}:
        pinned = _lint_verdict(source)
        assert pinned is not None  # the source holds a pin
        return pinned
    built = _build_library(slides, _SLIDES_NEEDS, _SLIDES_INDEX)
    if isinstance(built, Check):
        return built
    toy, report = built.toy, built.report
    allowed = {finding.project for finding in report.allowed}
    found = {finding.project for finding in report.findings}

    with toy_index(*_SLIDES_INDEX) as index, Sandbox(index) as sandbox:
        index.add(built.wheel)
        installed = sandbox.uv("pip install toyhost-slides")  # uv: quicker, and it picks as pip does (chapter 2)
        if not installed.ok:
            return Check(False, f"uv cannot install your toyhost-slides: {_refusal(installed)}.",
                         "compare your requirements with the original: slides.diff()", str(installed))
        chosen = {name: version for name, version in installed.installed.items() if name != "toyhost-slides"}
        shown = ", ".join(f"{name} {version}" for name, version in chosen.items())
        tests = sandbox.test(toy)
        if not tests.ok:
            return Check(False, f"uv installs your toyhost-slides with {shown}, and its tests fail: "
                                f"{_error_line(tests.output)}",
                         "a failing test against a new release is the evidence a cap needs: cap that "
                         f"dependency below the release that breaks it, and {_ALLOW_HINT}", str(tests))
        trials = []  # (as written, requirement, project, the newest release it keeps out)
        for dependency in toy.dependencies:
            requirement = Requirement(dependency)
            project = canonicalize_name(requirement.name)
            kept_out = _newest_kept_out(index, requirement, chosen.get(project))
            if kept_out is not None:
                trials.append((dependency, requirement, project, kept_out))
            elif project in allowed:
                return Check(False, f"you allowed the cap on {project}, but no release of {project} beyond "
                                    "it exists: no test has ever failed against one.",
                             "a reason needs evidence: remove the cap and its [[tool.pinlab.allow]] entry")
        for number, (dependency, requirement, project, kept_out) in enumerate(trials):
            if number:  # put back what uv chose for the previous trial's project
                sandbox.uv("pip install --no-deps", f"{trials[number - 1][2]}=={chosen[trials[number - 1][2]]}")
            sandbox.uv("pip install --no-deps", f"{project}=={kept_out}")
            trial = sandbox.test(toy)
            if trial.ok and project in allowed | found:
                return Check(False, f"{dependency} keeps out {project} {kept_out}, but your tests pass with it "
                                    "(installed with --no-deps): that cap has no evidence behind it.",
                             "remove the cap" + (" and its [[tool.pinlab.allow]] entry" if project in allowed
                                                 else ""), str(trial))
            if not trial.ok and project in found:
                return Check(False, f"pinlab lint still finds: PIN003 warning {dependency}.",
                             f"keep this cap: your tests fail with {project} {kept_out} "
                             f"({_error_line(trial.output)}); {_ALLOW_HINT}", str(trial))
            if not trial.ok and requirement.specifier.contains(_later_than(kept_out), prereleases=True):
                return Check(False, f"{dependency} keeps out {project} {kept_out}, where your tests fail, but "
                                    "admits every later release: what broke will stay broken.",
                             f"write the break as a cap below {kept_out}, and {_ALLOW_HINT}", str(trial))
    unfinished = _lint_verdict(report)
    if unfinished is not None:  # a failed Check is falsy
        return unfinished
    kept = ", ".join(f"{finding.requirement} ({finding.allowed})" for finding in report.allowed
                     if finding.input.endswith("pyproject.toml"))
    return Check(True, f"uv installs your toyhost-slides with {shown}, the newest releases your ranges admit, and "
                       "its tests pass; pinlab lint finds nothing" + (f" but the cap you kept: {kept}" if kept else "")
                 + ".")


def _newest_kept_out(index: LocalIndex, requirement: Requirement, chosen: str | None) -> str | None:
    """The newest release of *requirement*'s project in *index* that is newer than the one the
    installer *chose* and that the requirement does not admit; None if there is none."""
    kept_out = [version for version in index.versions(requirement.name)
                if (chosen is None or version > Version(chosen))
                and not requirement.specifier.contains(version, prereleases=True)]
    return str(kept_out[-1]) if kept_out else None


def _later_than(version: str) -> str:
    """A release after *version* in its next major series, e.g. 3.0 after 2.0."""
    return f"{Version(version).major + 1}.0"


def _error_line(output: str) -> str:
    """The line of a unittest run that names the error, e.g. ``AttributeError: ...``."""
    errors = [line.strip() for line in output.splitlines() if re.match(r"\w+(Error|Exception): ", line.strip())]
    return errors[-1] if errors else _last(output)


# -- chapter 4 ------------------------------------------------------------------------------

# The application whose environment the learner locks, and the index it is deployed from.
_APP = "toyhost-app==1.0"
_APP_INDEX = ("toyhost==1.0a27", "toyhost==1.0a28", "toyhost-export", "toyhost-charts", "toyhost-app")
_SUBSTITUTED = "toyhost==1.0a28"  # the release examples/substitutes/ has an impostor of


@remembers_verdict("requirements.txt")
def check_hashed_lock(lock: WorkingCopy) -> Check:
    """Chapter 4: does the learner's ``requirements.txt`` deploy the application from the genuine
    index, and keep the substituted toyhost 1.0a28 out?

    Both installs are chapter 4's deployment, ``pip install --require-hashes --no-deps -r``: from
    an index of the genuine wheels (then the application itself, ``pip check`` and the
    application's tests), and from the same index once toyhost 1.0a28 is replaced by the wheel
    built from ``examples/substitutes/``, which pip must refuse. A file without a single hash is
    installed as such a file is, without ``--require-hashes``, to show the learner what gets in.
    """
    from .index import toy_index
    from .sandbox import Sandbox

    shown = f"{lock.shown}/requirements.txt"
    lines = _read_lock(lock, _APP_INDEX, "reset()")
    if isinstance(lines, Check):
        return lines
    app = find_toy(_APP)
    impostor = build_wheel(find_substitute(_SUBSTITUTED))
    deploy = ("install", "--require-hashes", "--no-deps", "-r", str(lock.file("requirements.txt")))

    if not any(line.hashes for line in lines):
        accepted = _install_without_hashes(lock, impostor, app)
        if accepted is not None:  # a failed Check is falsy
            return accepted
    with toy_index(*_APP_INDEX) as index:
        with Sandbox(index) as server:
            server.add_placeholder(lock.path, lock.shown)
            deployed = server.pip(*deploy)
            if not deployed.ok:
                return _refused_lock(shown, deployed)
            server.uv("pip install --no-deps toyhost-app")  # uv: quicker; the lock's install is pip's
            broken = server.pip("check")
            if not broken.ok:
                return Check(False, f"pip installs {shown}, but pip check finds: {_broken_promise(broken.output)}",
                             "a lock covers the whole environment: the packages your application's "
                             "dependencies need belong in it too, pinned and hashed", str(broken))
            tests = server.test(app)
            if not tests.ok:
                return Check(False, f"pip installs {shown}, but the application's tests fail.",
                             "lock the versions the application was tested with", str(tests))
        versions = ", ".join(f"{name} {version}" for name, version in deployed.installed.items())
        index.substitute(impostor)
        with Sandbox(index) as new_server:
            new_server.add_placeholder(lock.path, lock.shown)
            refused = new_server.pip(*deploy)
    mismatch = hash_refusal(refused.output)
    if refused.ok or mismatch is None or mismatch.reason != "mismatch":
        return Check(False, f"pip installs {shown} from the index where toyhost 1.0a28 was substituted.",
                     "each line's hash must be the sha256 of the genuine file, and only that", str(refused))
    return Check(True, f"Your lock deploys the application from the genuine index ({versions}), and its "
                       "tests pass; from the index where toyhost 1.0a28 was substituted, pip refuses it: "
                       "its hash is not the one in your lock.")


def _read_lock(lock: WorkingCopy, index: tuple[str, ...], reset: str) -> list[RequirementLine] | Check:
    """The lines of a learner's hashed ``requirements.txt``, or the ✘ that says why they cannot be
    used: a line that does not parse, nothing left, a project the index does not have."""
    shown = f"{lock.shown}/requirements.txt"
    try:
        lines = read_requirement_lines(lock, hashes=True)
    except ToyError as exc:
        return _broken(lock, exc, "requirements.txt")
    if not lines:
        return Check(False, f"{shown} has no requirements left.", f"start again with {reset}")
    unknown = _unknown_project([(f"{shown}, line {line.number}", line.requirement) for line in lines],
                               _projects(*index))
    return unknown if unknown is not None else lines


def _install_without_hashes(lock: WorkingCopy, impostor: Path, app: Toy) -> Check | None:
    """What a file with no hashes lets in: None if the substitute does not get installed."""
    from .index import toy_index
    from .sandbox import Sandbox

    shown = f"{lock.shown}/requirements.txt"
    with toy_index(*_APP_INDEX) as substituted, Sandbox(substituted) as sandbox:
        substituted.substitute(impostor)
        sandbox.add_placeholder(lock.path, lock.shown)
        installed = sandbox.pip("install", "--no-deps", "-r", str(lock.file("requirements.txt")))
        if installed.installed.get("toyhost") != "1.0a28":
            return None
        sandbox.uv("pip install --no-deps toyhost-app")  # uv: quicker; the lock's install is pip's
        tests = sandbox.test(app)
    harm = "and the application's tests fail" if not tests.ok else "and nothing tells it from the real one"
    return Check(False, f"{shown} has no hashes: from an index where toyhost 1.0a28 was substituted, pip "
                        f"installs the substitute (its name and version match), {harm}.",
                 "give every line the sha256 of its file, --hash=sha256:...; "
                 "uv pip compile --generate-hashes writes them", f"{installed}\n{tests}")


def _refused_lock(shown: str, refused: Outcome) -> Check:
    """pip's refusal of a lock from the genuine index, as the learner can act on it."""
    refusal = hash_refusal(refused.output)
    named = ", ".join(refusal.requirements) if refusal else ""
    if refusal and refusal.reason == "missing":
        return Check(False, f"pip refuses {shown}: no hash for {named}.",
                     "a lock covers the whole environment: every line needs the sha256 of its file, "
                     "the packages your application never names too", str(refused))
    if refusal and refusal.reason == "mismatch":
        return Check(False, f"pip refuses {shown}: the hash for {named} is not that of the genuine file.",
                     "let uv pip compile --generate-hashes write the hashes rather than typing them", str(refused))
    if refusal and refusal.reason == "unpinned":
        return Check(False, f"pip refuses {shown}: with hashes, every requirement must be pinned with ==, "
                            f"and {named} is not.", "a lock pins the exact versions you tested", str(refused))
    return Check(False, f"pip refuses {shown}: {last_error(refused.output)}",
                 "compare your file with the original: lock.diff('requirements.txt')", str(refused))



# -- chapter 4, second exercise: re-lock to take the fix -----------------------------------------

# The site's lock was written before the fix: host 1.0a27 and the plugin release that pins it.
_BEFORE_THE_FIX = ("toyhost==1.0a27", "toyhost-export==0.3a1")
# The index the site re-locks from, once the host's fix and the plugin's range are out.
_RELOCK_INDEX = ("toyhost==1.0a27", "toyhost==1.0a28", "toyhost-export==0.3a1", "toyhost-export==0.3a2")
_HASH_OF = re.compile(r"<hash of ([^>]+)>")


def relock_copy(workspace: Path | None = None) -> WorkingCopy:
    """The working copy of chapter 4's second exercise, ``workspace/app-relock``: the site's
    ``requirements.in`` and the hashed lock it wrote before the fix.

    A toy wheel is built on the learner's machine, so its sha256 is this machine's: the original
    is ``examples/exercises/app-relock`` with each ``<hash of FILE>`` replaced by the digest of
    that toy wheel, written under the wheel cache (the same bytes every time on one machine, as
    the wheels are cached by content), and the copy is made from that.
    """
    from .index import sha256
    from .toys import wheel_cache

    example = examples_dir() / "exercises" / "app-relock"
    wheels = {wheel.name: wheel for wheel in (build_wheel(find_toy(key)) for key in _BEFORE_THE_FIX)}
    original = wheel_cache().parent / "exercise-originals" / example.name
    original.mkdir(parents=True, exist_ok=True)
    for source in example.iterdir():
        text = _HASH_OF.sub(lambda found: sha256(wheels[found[1]]), source.read_text(encoding="utf-8"))
        target = original / source.name
        if not target.is_file() or target.read_text(encoding="utf-8") != text:
            scratch = target.with_name(f".{target.name}.{os.getpid()}")  # whole, even beside another run
            scratch.write_text(text, encoding="utf-8")
            os.replace(scratch, target)
    return WorkingCopy(original, workspace)


@remembers_verdict("requirements.txt")
def check_relocked_fix(relock: WorkingCopy) -> Check:
    """Chapter 4, second exercise: does the learner's re-locked ``requirements.txt`` give the
    site the fixed host, and still deploy with ``--require-hashes``?

    The lock is installed as the chapter deploys, ``pip install --require-hashes --no-deps -r``,
    into a fresh sandbox whose index has both host releases and both plugin releases; then the
    real pip-audit, asking the local advisory service (chapter 3's advisory), audits what got
    installed, and ``pip check`` looks for a broken promise.

    pip-audit comes first because the lock a learner starts from, and most re-locks that miss,
    deploy the vulnerable host: its verdict ends the check without a pip check (0.15-0.25 s). The
    verdict is the one the other order gives: with this index, a lock that installs the
    vulnerable host (1.0a27) breaks no promise, since every plugin release admits it.
    """
    from .advisory_service import AdvisoryService
    from .auditing import audit
    from .index import toy_index
    from .sandbox import Sandbox

    shown = f"{relock.shown}/requirements.txt"
    lines = _read_lock(relock, _RELOCK_INDEX, "relock.reset()")
    if isinstance(lines, Check):
        return lines
    if not any(line.hashes for line in lines):
        return Check(False, f"{shown} has lost its hashes: the deployment's --require-hashes would refuse "
                            "every line, and without it nothing tells a substituted file from the genuine one.",
                     "re-lock the way the lock was made, with --generate-hashes")

    with toy_index(*_RELOCK_INDEX) as index, Sandbox(index) as server:
        server.add_placeholder(relock.path, relock.shown)
        deployed = server.pip("install", "--require-hashes", "--no-deps", "-r", str(relock.file("requirements.txt")))
        if not deployed.ok:
            return _refused_lock(shown, deployed)
        installed = deployed.installed
        versions = ", ".join(f"{name} {version}" for name, version in installed.items())
        with AdvisoryService() as advisories:  # started only for an environment there is to audit
            audited = audit(server, advisories)
        unchecked = [package for package in audited.packages if package.skip_reason]
        if unchecked:  # a verdict is never "no known vulnerability" for a package pip-audit did not check
            return Check(False, f"pip-audit could not check {unchecked[0].name}: {unchecked[0].skip_reason}",
                         "see .details for pip-audit's report", str(audited))
        if not audited.clean:
            found = audited.vulnerable[0]
            vuln = found.vulns[0]
            return Check(False, f"pip installs {shown} with --require-hashes ({versions}), but pip-audit finds "
                                f"{vuln.id} in {found.name} {found.version} (fixed in "
                                f"{', '.join(vuln.fix_versions)}).", _relock_hint(installed), str(audited))
        broken = server.pip("check")
        if not broken.ok:
            return Check(False, f"pip installs {shown}, but pip check finds: {_broken_promise(broken.output)}",
                         "the host was moved by hand past the plugin's pin: let the resolver re-lock, and "
                         "it moves the plugin too", str(broken))
    return Check(True, f"Your re-lock deploys with --require-hashes ({versions}); pip check finds every "
                       "requirement satisfied, and pip-audit finds no known vulnerability.")


def _relock_hint(installed: Mapping[str, str]) -> str:
    """What kept the fix out of a re-lock that still installs the vulnerable host."""
    plugin = installed.get("toyhost-export")
    pin = _requirement_on(find_toy(f"toyhost-export=={plugin}"), "toyhost") if plugin else None
    if pin is not None and not pin.specifier.contains("1.0a28", prereleases=True):
        return (f"toyhost-export {plugin} requires {pin}, so no re-lock can move the host while the lock keeps "
                "that plugin release: let uv upgrade the plugin too (uv pip compile --upgrade-package NAME)")
    return (f"toyhost-export {plugin} admits the fix, but a re-lock keeps every version it was not asked to move: "
            "name the host as well (--upgrade-package toyhost), or --upgrade everything")


# -- chapter 2 ------------------------------------------------------------------------------

# What toyhost-share's code needs: the release its lower bound has always named.
_SHARE_NEEDS = {"toyhost": "1.0a28"}
# The host's releases in June: the old stable line and two alphas, the second the security fix.
_BEFORE_2 = ("toyhost==0.9", "toyhost==1.0a27", "toyhost==1.0a28")


@remembers_verdict("pyproject.toml")
def check_admits_the_patch(share: WorkingCopy) -> Check:
    """Chapter 2: does the learner's toyhost-share get the patched host, and still let host 2.0 in?

    Before 2.0 exists, pip and uv (dry runs, ``Sandbox.would_install``) must choose a host the
    advisory does not name; once 2.0 is out, ``pip install toyhost==2.0 toyhost-share`` must
    succeed and the plugin's tests pass; and ``pinlab lint`` must find no pin or cap left.
    """
    from .advisories import load_advisories
    from .index import toy_index
    from .sandbox import ResolutionFailed, Sandbox

    built = _build_library(share, _SHARE_NEEDS, _BEFORE_2)
    if isinstance(built, Check):
        return built
    toy, wheel, report = built.toy, built.wheel, built.report
    host = _requirement_on(toy, "toyhost")
    assert host is not None  # _build_library checked that the copy still requires toyhost

    with toy_index(*_BEFORE_2) as index, Sandbox(index) as sandbox:
        index.add(wheel)
        try:
            picks = {installer: sandbox.would_install("toyhost-share", installer=installer).get("toyhost", "none")
                     for installer in ("pip", "uv")}
        except ResolutionFailed as exc:
            return Check(False, f"no host release satisfies {host}: {_last(str(exc))}",
                         "state the patched release as the lower bound", str(exc))
    advisories = load_advisories()  # chapter 3's, from examples/advisories
    found = [advisory for version in set(picks.values()) if version != "none"
             for advisory in advisories.query("toyhost", Version(version))]
    if found:
        fix = min(found[0].fixed_versions("toyhost"))
        chosen = (f"pip and uv would install toyhost {picks['pip']}" if picks["pip"] == picks["uv"] else
                  f"pip would install toyhost {picks['pip']} and uv toyhost {picks['uv']}")
        named = any(Version(spec.version).is_prerelease for spec in host.specifier if not spec.version.endswith("*"))
        hint = (f"{host} names no pre-release, so the installers skip the alphas, the patch among them: "
                f"name the patched release in a lower bound" if not named else
                "state the patched release as the lower bound")
        return Check(False, f"{chosen} with your toyhost-share, which the advisory says is vulnerable "
                            f"(fixed in {fix}).", hint)

    with toy_index(*_BEFORE_2, "toyhost==2.0") as index, Sandbox(index) as sandbox:
        index.add(wheel)
        installed = sandbox.pip("install toyhost==2.0 toyhost-share")
        if not installed.ok:
            return _refused_beside_2(sandbox, toy, host, installed, report)
        tests = sandbox.test(toy)
        if not tests.ok:
            return Check(False, "your toyhost-share installs beside toyhost 2.0, but its own tests fail.",
                         "did the edit touch more than the requirement? Compare with diff().", str(tests))
    unfinished = _lint_verdict(report)
    if unfinished is not None:  # a failed Check is falsy
        return unfinished
    return Check(True, f"Your toyhost-share admits the patch: pip and uv pick toyhost {picks['pip']} before "
                       "2.0 exists, and pip installs the plugin beside toyhost 2.0, where its tests pass.")


def _refused_beside_2(sandbox: Sandbox, toy: Toy, host: Requirement, refused: Outcome, report: Report) -> Check:
    """pip refused host 2.0 beside the plugin: say so, and whether the plugin works with 2.0 at all
    (its tests, run with the plugin installed beside 2.0 by ``--no-deps``), which is the evidence
    a cap would need."""
    message = f"pip cannot install your toyhost-share beside toyhost 2.0: {_refusal(refused)}."
    if {finding.code for finding in report.findings} & {"PIN001", "PIN002"}:
        return Check(False, message, _PIN_HINT, str(refused))
    # The trial's installs are uv's (0.1 s each, against pip's 0.4 s): pip's refusal is the one shown.
    sandbox.uv("pip install toyhost==2.0")
    sandbox.uv("pip install --no-deps toyhost-share")
    trial = sandbox.test(toy)
    if trial.ok:
        hint = (f"{host} caps the host, yet the plugin's own tests pass with toyhost 2.0 (installed with "
                "--no-deps): a cap without evidence of a break refuses a working combination")
    else:
        hint = "the plugin's tests fail with toyhost 2.0 too: did the edit touch more than the requirement?"
    return Check(False, message, hint, f"{refused}\n{trial}")


# Chapter 2's second exercise: a plugin whose lower bound nobody tested, and every host release.
_COMMENTS_INDEX = ("toyhost",)


@remembers_verdict("pyproject.toml")
def check_honest_lower_bound(comments: WorkingCopy) -> Check:
    """Chapter 2, second exercise: is the learner's lower bound for toyhost-comments honest, the
    oldest host release its tests pass with, and no higher?

    As the chapter's maintainer does, with uv: ``--resolution lowest-direct --prerelease=allow``
    installs the lowest host the requirement admits, and the plugin's tests run there; then at the
    host release just below it (``--no-deps``), where they must fail, or the bound shuts users out
    for nothing; then at the newest (``--resolution highest``); last, ``pinlab lint`` must find no
    pin or cap.
    """
    from .index import toy_index
    from .sandbox import Sandbox

    built = _build_library(comments, {}, _COMMENTS_INDEX)
    if isinstance(built, Check):
        return built
    toy, wheel, host = built.toy, built.wheel, _requirement_on(built.toy, "toyhost")
    if host is None:
        return Check(False, f"{comments.shown}/pyproject.toml no longer requires toyhost, which the plugin "
                            "imports.", "keep the requirement on toyhost and change only its version specifier")
    requirements = comments.file("pyproject.toml")

    with toy_index(*_COMMENTS_INDEX) as index, Sandbox(index) as sandbox:
        index.add(wheel)
        sandbox.add_placeholder(comments.path, comments.shown)
        releases = sorted(index.versions("toyhost"))
        lowest = sandbox.uv("pip install --resolution lowest-direct --prerelease=allow -r", requirements)
        if not lowest.ok:
            return Check(False, f"uv finds no host release for {host}: {last_sentence(lowest.output)}",
                         "the index has toyhost " + ", ".join(map(str, releases)), str(lowest))
        sandbox.uv("pip install --no-deps", wheel)
        oldest = Version(lowest.installed["toyhost"])
        tests = sandbox.test(toy)
        if not tests.ok:
            return Check(False, f"uv --resolution lowest-direct installs toyhost {oldest} for {host}, and the "
                                f"plugin's own tests fail there: {_first_error(tests.output)}",
                         "a lower bound promises the plugin works there: raise it to the oldest host "
                         "release its tests pass with", str(tests))
        below = [release for release in releases if release < oldest]
        if below:
            sandbox.uv("pip install --no-deps", f"toyhost=={below[-1]}")
            shut_out = sandbox.test(toy)
            if shut_out.ok:
                return Check(False, f"the plugin's tests pass with toyhost {oldest}, the lowest {host} admits, "
                                    f"and with toyhost {below[-1]} too, which it refuses: users on "
                                    f"{below[-1]} are shut out for nothing.",
                             "the lower bound is the oldest release that works: lower it until the tests "
                             "fail one release below", str(shut_out))
        newest = sandbox.uv("pip install --upgrade --resolution highest -r", requirements)
        tests = sandbox.test(toy)
        top = newest.installed.get("toyhost", "?")
        if not tests.ok:
            return Check(False, f"the plugin's tests pass at the lower bound, {oldest}, but fail at the "
                                f"newest release uv installs, toyhost {top}.",
                         "did the edit touch more than the requirement? Compare with diff().", str(tests))
    unfinished = _lint_verdict(built.report)
    if unfinished is not None:  # a failed Check is falsy
        return unfinished
    fail = f", and fail at {below[-1]} just below it" if below else ""
    return Check(True, f"Your lower bound is honest: the plugin's tests pass at the lowest release {host} "
                       f"admits (toyhost {oldest}) and at the newest (toyhost {top}){fail}.")


def _first_error(output: str) -> str:
    """The line of a unittest run that says what failed (an AssertionError, say), or its last line."""
    return next((line.strip() for line in output.splitlines() if re.match(r"\s*\w+Error\b", line)), _last(output))


# The hints for what pinlab lint finds, shared by the chapters whose exercise is a library's metadata.
_PIN_HINT = "an exact pin holds every user to one release: state the oldest release that works instead"
_CAP_HINT = "a cap needs evidence of a break; without one, let newer releases in"


def _lint_verdict(report: Report) -> Check | None:
    """A failed check naming what ``pinlab lint`` still finds, or None if it finds nothing."""
    if not report.findings:
        return None
    # A wheel repeats its source's findings (its specifiers in packaging's order): name each once.
    first: dict[tuple[str, str], str] = {}
    for f in report.findings:
        first.setdefault((f.code, f.project), f"{f.code} {f.severity} {f.requirement}")
    codes = {finding.code for finding in report.findings}
    return Check(False, f"pinlab lint still finds: {'; '.join(first.values())}.",
                 _PIN_HINT if codes & {"PIN001", "PIN002"} else _CAP_HINT)


def _refusal(outcome: Outcome) -> str:
    """Why pip refused an install: the demands of its conflict, one after the other."""
    from .conflicts import parse_conflict

    conflict = parse_conflict(outcome.output)
    return "; ".join(str(demand) for demand in conflict.demands) if conflict else "see .details"


def _broken_promise(pip_check: str) -> str:
    """One line of ``pip check``'s report, the same on every Python (see :func:`broken_promises`)."""
    return next(iter(broken_promises(pip_check)), "no output")


def _last(output: str) -> str:
    lines = [line.strip() for line in output.strip().splitlines() if line.strip()]
    return lines[-1] if lines else "no output"


def _releases(versions: list[str]) -> str:
    if not versions:
        return "no host release"
    return f"only {versions[0]}" if len(versions) == 1 else " and ".join(versions)
