"""npm, isolated and offline: a tiny npm registry on 127.0.0.1, and throwaway npm projects.

The chapter on npm runs the real ``npm`` (``npm pack``, ``install``, ``ls``, ``audit``) against
:class:`NpmRegistry`, a registry that pinlab serves from the toy packages' tarballs while it is
open. It answers the three kinds of request npm 11 sends for an install and an audit (logged in
:attr:`NpmRegistry.requests`, so a reader can see them):

- ``GET /<name>`` (a scoped name is sent as ``/@scope%2fname``): the package's *packument*, every
  version's ``package.json`` with a ``dist`` entry (tarball URL, ``shasum``, ``integrity``), and
  ``dist-tags.latest``, the version published last, as ``npm publish`` sets it;
- ``GET /<name>/-/<file>.tgz``: a tarball exactly as ``npm pack`` made it;
- ``POST /-/npm/v1/security/advisories/bulk``: the audit. npm posts ``{name: [version, ...]}``
  (gzipped) and gets ``{name: [advisory, ...]}``, with each advisory's ``vulnerable_versions``
  range; npm itself matches the installed versions against that range (with node-semver), so the
  service answers every advisory that names a package asked about. The advisories are OSV
  records (``examples/npm/advisories``) whose ``SEMVER`` ranges become npm's range syntax.

Why not verdaccio, the usual private npm registry: it is itself an npm package with a few
hundred dependencies, so a workshop laptop would need it installed from the npm registry before
going offline, and it starts in seconds, writes a storage folder and a config of its own. npm
needs three endpoints from a registry here; fifty lines of ``http.server`` serve them, start in
a millisecond, and stop with the notebook (the same life as :class:`~pinlab.AdvisoryService`: both
are served by :mod:`pinlab._local_server`).

:class:`NpmProject` is an npm project in a throwaway folder whose npm sees none of the caller's
npm configuration: ``--userconfig`` and ``--globalconfig`` point at empty files in the folder,
``--cache`` inside it, ``--registry`` at the local registry, and every ``NPM_CONFIG_*`` variable
(npm reads them case-insensitively) and ``NODE_*`` variable of the caller is dropped.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
import logging
import os
import shutil
import tarfile
from collections.abc import Iterable
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from ._local_server import HOST, LocalServer, QuietHandler
from .advisories import Advisory, load_advisories
from .process import Completed, Placeholders, clean_env, run
from .toys import examples_dir
from .workdir import ThrowawayDir

AUDIT_PATH = "/-/npm/v1/security/advisories/bulk"
ADVISORY_PAGE = "/-/pinlab/advisories/"  # each advisory's ``url``: its OSV record, served here
MAX_BODY = 1024 * 1024  # an audit of a thousand packages is a few tens of kB
OSV_ECOSYSTEM = "npm"

# Flags that keep npm's output to what the chapter teaches: no funding appeals, no "new npm
# version available" notices, no progress spinner, and no debug log file (an error would name
# it, with a timestamp in its name, in every output).
QUIET_FLAGS = ("--no-fund", "--no-update-notifier", "--no-progress", "--logs-max=0")

log = logging.getLogger(__name__)


def npm_versions() -> str:
    """``node v20.20.2, npm 11.19.1``: the versions that run here (npm words its messages by version)."""
    node = run([shutil.which("node") or "node", "--version"], env=npm_env())
    npm = run([npm_binary(), "--version"], env=npm_env())
    return f"node {node.output.strip()}, npm {npm.output.strip()}"


def npm_missing() -> str | None:
    """Why npm cannot run here (Node.js or npm not found), or None when it can."""
    missing = [tool for tool in ("node", "npm") if shutil.which(tool) is None]
    if missing:
        return (f"{' and '.join(missing)} not found on PATH: install Node.js with npm "
                "(https://nodejs.org, or apt-get install nodejs npm) to run the npm chapter")
    return None


def npm_binary() -> str:
    """The npm command (``npm.cmd`` on Windows), or a RuntimeError saying how to get it."""
    reason = npm_missing()
    if reason:
        raise RuntimeError(reason)
    npm = shutil.which("npm")
    assert npm is not None  # npm_missing() found it
    return npm


def npm_env() -> dict[str, str]:
    """The environment for npm and node: the caller's npm and Node.js settings dropped."""
    dropped = [key for key in os.environ if key.upper().startswith(("NPM_CONFIG_", "NODE_"))]
    return clean_env({key: None for key in dropped})


# -- the toys -------------------------------------------------------------------------------


def toys_dir(examples: Path | None = None) -> Path:
    """``examples/npm/toys``: one folder per toy npm release, each with its ``package.json``."""
    return (examples or examples_dir()) / "npm" / "toys"


def app_dir(examples: Path | None = None) -> Path:
    """``examples/npm/app``: the toy application that uses both plugins."""
    return (examples or examples_dir()) / "npm" / "app"


def advisories_dir(examples: Path | None = None) -> Path:
    """``examples/npm/advisories``: OSV records of the npm toys."""
    return (examples or examples_dir()) / "npm" / "advisories"


@dataclass(frozen=True)
class Tarball:
    """One package release as ``npm pack`` made it."""

    name: str
    """The package name, e.g. ``@pinlab-toys/host``."""
    version: str
    """Its version, e.g. ``1.0.0-alpha.27``."""
    path: Path
    """The ``.tgz`` file."""
    manifest: dict[str, Any]
    """The ``package.json`` inside it."""

    @property
    def filename(self) -> str:
        """The file name the registry serves it under: ``host-1.0.0-alpha.27.tgz`` for a scoped package."""
        return f"{self.name.split('/')[-1]}-{self.version}.tgz"

    def __str__(self) -> str:
        return f"{self.name}@{self.version}"


def read_tarball(path: Path) -> Tarball:
    """The package in an npm tarball, read from its ``package/package.json``."""
    with tarfile.open(path, "r:gz") as archive:
        member = archive.extractfile("package/package.json")
        if member is None:
            raise ValueError(f"{path.name}: no package/package.json inside: not an npm package tarball")
        manifest = json.loads(member.read().decode("utf-8"))
    return Tarball(manifest["name"], manifest["version"], path, manifest)


def pack(source: Path, destination: Path) -> Tarball:
    """Pack the package in *source* with the real ``npm pack`` into *destination*."""
    with ThrowawayDir("npm-pack") as scratch:
        args = ["pack", "--json", "--pack-destination", str(destination), *_isolation(scratch.path), *QUIET_FLAGS]
        done = run([npm_binary(), *args], env=npm_env(), cwd=source, merge_output=False)
    if not done.ok:
        raise RuntimeError(f"npm pack failed in {source.name}: {done.output.strip()}")
    return read_tarball(destination / json.loads(done.output)[0]["filename"])


def _isolation(folder: Path) -> list[str]:
    """npm flags that replace every config file and the cache with files in *folder*."""
    for name in ("npmrc", "global-npmrc"):
        if not (folder / name).exists():
            (folder / name).write_text("", encoding="utf-8")
    return ["--userconfig", str(folder / "npmrc"), "--globalconfig", str(folder / "global-npmrc"),
            "--cache", str(folder / "npm-cache")]


# -- the advisories, as npm's audit wants them ---------------------------------------------------


def semver_range(events: Iterable[dict[str, str]]) -> str:
    """An OSV ``SEMVER`` range's events as an npm range: ``[{introduced: 0}, {fixed: 2.0.0}]`` -> ``<2.0.0``."""
    parts, low = [], None
    for event in events:
        if "introduced" in event:
            low = None if event["introduced"] == "0" else event["introduced"]
        else:
            kind, version = next(iter(event.items()))
            bound = {"fixed": "<", "last_affected": "<=", "limit": "<"}[kind]
            parts.append(" ".join(filter(None, [low and f">={low}", f"{bound}{version}"])))
            low = None
    if low is not None:  # introduced and never fixed
        parts.append(f">={low}")
    return " || ".join(parts) or "*"


def npm_advisories(advisory: Advisory, base_url: str) -> dict[str, dict[str, Any]]:
    """Package name -> the advisory in the shape of npm's bulk audit answer."""
    record, found = advisory.record, {}
    extra = record.get("database_specific", {})
    for affected in record.get("affected", []):
        package = affected.get("package", {})
        if package.get("ecosystem") != OSV_ECOSYSTEM:
            continue
        ranges = [r for r in affected.get("ranges", []) if r.get("type") == "SEMVER"]
        found[package["name"]] = {
            "id": advisory.id,
            "url": f"{base_url}{ADVISORY_PAGE}{advisory.id}",
            "title": advisory.summary,
            "severity": extra.get("severity", "moderate"),
            "vulnerable_versions": " || ".join(semver_range(r["events"]) for r in ranges) or "*",
            "cwe": extra.get("cwe_ids", []),
            "cvss": {"score": 0, "vectorString": None},
        }
    return found


# -- the registry ------------------------------------------------------------------------------


class NpmRegistry(LocalServer):
    """Serve npm tarballs and advisories on ``http://127.0.0.1:<port>/`` while open.

    ``NpmRegistry()`` starts empty with the kit's npm advisories; :meth:`publish` adds a
    tarball; :meth:`pack_toys` packs the kit's toy packages with ``npm pack`` and adds them.
    """

    def __init__(self, advisories: Path | str | None = None) -> None:
        self.advisories = load_advisories(advisories or advisories_dir())
        self.tarballs: list[Tarball] = []
        self.requests: list[str] = []
        """Every request answered, as ``"GET /@pinlab-toys%2fhost"``, in order."""
        self._storage = ThrowawayDir("npm-registry")
        try:
            super().__init__(_handler_for(self), "pinlab-npm-registry", cleanup=self._storage.close)
        except BaseException:
            self._storage.close()
            raise

    @property
    def url(self) -> str:
        """``http://127.0.0.1:<port>/``, what npm's ``--registry`` wants."""
        return f"{self.base_url}/"

    @property
    def placeholders(self) -> Placeholders:
        """The port changes on every run; outputs show ``<port>``."""
        return Placeholders({}, {f"{HOST}:{self.port}": f"{HOST}:<port>"})

    def publish(self, tarball: Path | Tarball) -> Tarball:
        """Serve *tarball* (copied into the registry's storage); it becomes its package's ``latest``."""
        found = tarball if isinstance(tarball, Tarball) else read_tarball(Path(tarball))
        stored = self._storage.path / found.path.name
        shutil.copyfile(found.path, stored)
        found = Tarball(found.name, found.version, stored, found.manifest)
        self.tarballs = [t for t in self.tarballs if (t.name, t.version) != (found.name, found.version)] + [found]
        return found

    def pack_toys(self, *folders: str, examples: Path | None = None) -> list[Tarball]:
        """Pack toy folders of ``examples/npm/toys`` (all of them by default, in name order) and
        publish them: one ``npm pack`` for them all (npm's start-up is most of the time it takes)."""
        names = folders or sorted(path.name for path in toys_dir(examples).iterdir()
                                  if (path / "package.json").is_file())
        with ThrowawayDir("npm-pack") as scratch:
            args = ["pack", "--json", "--pack-destination", str(scratch.path), *_isolation(scratch.path),
                    *QUIET_FLAGS, *(str(toys_dir(examples) / name) for name in names)]
            done = run([npm_binary(), *args], env=npm_env(), cwd=scratch.path, merge_output=False)
            if not done.ok:
                raise RuntimeError(f"npm pack failed: {done.output.strip()}")
            return [self.publish(read_tarball(scratch.path / packed["filename"])) for packed in json.loads(done.output)]

    def packument(self, name: str) -> dict[str, Any] | None:
        """What the registry answers ``GET /<name>`` with, or None for a package it does not hold."""
        releases = [t for t in self.tarballs if t.name == name]
        if not releases:
            return None
        versions = {}
        for tarball in releases:
            data = tarball.path.read_bytes()
            versions[tarball.version] = {
                **tarball.manifest,
                "_id": f"{name}@{tarball.version}",
                "dist": {
                    "tarball": f"{self.url}{name}/-/{tarball.filename}",
                    "shasum": hashlib.sha1(data).hexdigest(),
                    "integrity": "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode("ascii"),
                },
            }
        return {"_id": name, "name": name, "dist-tags": {"latest": releases[-1].version}, "versions": versions}

    def audit(self, body: object) -> dict[str, list[dict[str, Any]]]:
        """npm's bulk audit answer to *body* (``{name: [version, ...]}``): the advisories per name."""
        if not isinstance(body, dict):
            raise ValueError("the audit body must be a JSON object: {name: [version, ...]}")
        answer: dict[str, list[dict[str, Any]]] = {}
        for advisory in self.advisories.advisories:
            if advisory.withdrawn:
                continue
            for name, shaped in npm_advisories(advisory, self.url.rstrip("/")).items():
                if name in body:
                    answer.setdefault(name, []).append(shaped)
        return answer

    def close(self) -> None:
        """Stop serving, release the port and remove the stored tarballs (safe to call twice)."""
        super().close()

    def __repr__(self) -> str:
        if self.closed:
            return "NpmRegistry(closed)"
        held = ", ".join(str(tarball) for tarball in self.tarballs) or "no packages"
        return f"NpmRegistry(serving on {HOST}: {held})"


def _handler_for(registry: NpmRegistry) -> type[BaseHTTPRequestHandler]:
    class Handler(_RegistryHandler):
        pass

    Handler.registry = registry
    return Handler


class _RegistryHandler(QuietHandler):
    registry: NpmRegistry
    server_version = "pinlab-npm-registry"

    def do_GET(self) -> None:  # noqa: N802 (the names http.server dispatches to)
        self._answer()

    def do_POST(self) -> None:  # noqa: N802
        self._answer()

    def _answer(self) -> None:
        path = urlsplit(self.path).path
        self.registry.requests.append(f"{self.command} {path}")
        try:
            status, body, kind = self._route(unquote(path))
        except ValueError as exc:
            status, body, kind = HTTPStatus.BAD_REQUEST, _json({"error": str(exc)}), "application/json"
        except OSError:
            raise  # the client hung up: logged at debug level by pinlab._local_server
        except Exception as exc:  # a bug here: npm still gets an answer, the log the traceback
            log.error("cannot answer %r", self.requestline, exc_info=True)
            status, body, kind = (HTTPStatus.INTERNAL_SERVER_ERROR,
                                  _json({"error": f"the registry failed: {type(exc).__name__}: {exc}"}),
                                  "application/json")
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _route(self, path: str) -> tuple[HTTPStatus, bytes, str]:
        if path == AUDIT_PATH and self.command == "POST":
            return HTTPStatus.OK, _json(self.registry.audit(self._read_json())), "application/json"
        if path.startswith(ADVISORY_PAGE) and self.command == "GET":
            wanted = path[len(ADVISORY_PAGE):]
            for advisory in self.registry.advisories.advisories:
                if advisory.id == wanted:
                    return HTTPStatus.OK, _json(dict(advisory.record)), "application/json"
        elif self.command == "GET" and "/-/" in path and not path.startswith("/-/"):
            name, _, filename = path.lstrip("/").partition("/-/")
            for tarball in self.registry.tarballs:
                if tarball.name == name and tarball.filename == filename:
                    return HTTPStatus.OK, tarball.path.read_bytes(), "application/octet-stream"
        elif self.command == "GET" and not path.startswith("/-/"):
            found = self.registry.packument(path.lstrip("/"))
            if found is not None:
                return HTTPStatus.OK, _json(found), "application/json"
        # npm reads a 404 as "no such package" (E404), as from the public registry.
        return HTTPStatus.NOT_FOUND, _json({"error": "Not found"}), "application/json"

    def _read_json(self) -> object:
        length = int(self.headers.get("Content-Length") or 0)
        if not 0 < length <= MAX_BODY:
            raise ValueError(f"the audit body must be 1 to {MAX_BODY} bytes, not {length}")
        data = self.rfile.read(length)
        if self.headers.get("Content-Encoding", "").lower() == "gzip":  # npm gzips its audit body
            try:
                data = gzip.decompress(data)
            except (OSError, EOFError) as exc:
                raise ValueError(f"the audit body is not gzip, as its Content-Encoding says: {exc}") from None
        try:
            return json.loads(data.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ValueError(f"the audit body is not JSON: {exc}") from None


def _json(data: object) -> bytes:
    return json.dumps(data, indent=1).encode("utf-8")


# -- a project -------------------------------------------------------------------------------------


class NpmProject(ThrowawayDir):
    """An npm project in a throwaway folder, whose npm knows only *registry*.

    ``NpmProject(registry)`` copies the toy application (``examples/npm/app``) into
    ``<project>/app``; pass *source* for another folder.
    """

    def __init__(self, registry: NpmRegistry, source: Path | None = None) -> None:
        super().__init__("npm-project")
        self.registry = registry
        self.app = self.path / "app"
        shutil.copytree(source or app_dir(), self.app)
        self.placeholders = Placeholders({str(self.app): "<app>", str(self.path): "<project>"})

    def npm(self, *args: str) -> Completed:
        """Run npm in the app folder: ``project.npm("ls --all")``, ``project.npm("explain", name)``.

        The command is shown as typed; the isolation flags are added behind it.
        """
        argv = _words(args)
        hidden = [*_isolation(self.path), "--registry", self.registry.url, *QUIET_FLAGS]
        return run([npm_binary(), *argv, *hidden], shown_as=["npm", *argv], env=npm_env(),
                   placeholders=self._placeholders(), cwd=self.app)

    def npm_json(self, *args: str) -> Any:
        """Run npm with ``--json`` and return what it printed, parsed (whatever the exit status)."""
        argv = _words(args)
        hidden = [*_isolation(self.path), "--registry", self.registry.url, *QUIET_FLAGS, "--json"]
        done = run([npm_binary(), *argv, *hidden], env=npm_env(), placeholders=self._placeholders(),
                   cwd=self.app, merge_output=False)
        try:
            return json.loads(done.output)
        except json.JSONDecodeError:
            raise RuntimeError(f"npm {' '.join(argv)} printed no JSON: {done.output.strip()}") from None

    def node(self, script: str = "index.js") -> Completed:
        """Run *script* of the app with node."""
        return run([shutil.which("node") or "node", script], shown_as=["node", script], env=npm_env(),
                   placeholders=self._placeholders(), cwd=self.app)

    def installed(self) -> dict[str, str]:
        """Each copy of a package in ``node_modules``, by folder.

        For example ``{"node_modules/@pinlab-toys/host": "1.0.0-alpha.28"}``.
        """
        lock = self.read_json("package-lock.json")
        return {folder: entry["version"] for folder, entry in sorted(lock.get("packages", {}).items()) if folder}

    def read_json(self, name: str) -> Any:
        return json.loads((self.app / name).read_text(encoding="utf-8"))

    def edit_package_json(self, **fields: Any) -> dict[str, Any]:
        """Set top-level fields of the app's ``package.json`` (e.g. ``overrides={...}``); a ``None``
        value removes the field. Returns the new ``package.json``."""
        manifest = {**self.read_json("package.json"), **fields}
        manifest = {key: value for key, value in manifest.items() if value is not None}
        (self.app / "package.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
        return manifest

    def _placeholders(self) -> Placeholders:
        return self.placeholders.merged(self.registry.placeholders)

    def __enter__(self) -> NpmProject:
        return self

    def __repr__(self) -> str:
        if self.closed:
            return "NpmProject(closed)"
        copies = ", ".join(f"{folder} {version}" for folder, version in self.installed().items()) \
            if (self.app / "package-lock.json").is_file() else "nothing installed"
        return f"NpmProject({copies})"


def _words(args: tuple[str, ...]) -> list[str]:
    """``("install --save", path)`` -> ``["install", "--save", path]``: only the first argument is
    split at spaces, as it reads like a terminal line; a path follows as an argument of its own."""
    return [*args[0].split(), *args[1:]] if args else []


def scoped_path(name: str) -> str:
    """How npm asks for a package: ``@pinlab-toys/host`` -> ``/@pinlab-toys%2fhost``."""
    return "/" + name.replace("/", "%2f")  # npm's own spelling: lower-case, the @ left as it is




# -- the chapter's exercise ------------------------------------------------------------------------

FIXED_HOST = "1.0.0-alpha.28"
_HOST = "@pinlab-toys/host"


def check_scoped_override(overrides: dict[str, Any], registry: NpmRegistry) -> Any:
    """Chapter 6: do the learner's ``overrides`` lift the export plugin's pin, and only that one?

    A fresh copy of the toy application gets them in its ``package.json`` and is installed from
    *registry*; then every copy of the host must be the fixed one, and ``npm explain`` must show
    that charts' own requirement (``>=1.0.0-alpha.28``) was left as it is.
    """
    from .exercises import Check

    with NpmProject(registry) as trial:
        trial.edit_package_json(overrides=overrides)
        installing = trial.npm("install --no-audit")  # no verdict here is the audit's: 0.07 s of 0.42 s less
        if not installing.ok:
            error = next((line for line in installing.output.splitlines() if "error" in line),
                         installing.output.strip())
            return Check(False, f"npm refused these overrides: {error}",
                         "overrides is an object: package names as keys, versions (or objects) as values")
        hosts = {folder: version for folder, version in trial.installed().items() if folder.endswith(_HOST)}
        old = sorted(set(hosts.values()) - {FIXED_HOST})
        if old:
            return Check(False, f"the application still has host {', '.join(old)}",
                         "an override can apply under one package only: an object under that package's name, "
                         f"holding what replaces {_HOST}")
        explained = trial.npm("explain", _HOST).output
        if '(was ">=1.0.0-alpha.28")' in explained:
            return Check(False, "every plugin gets the fixed host, but charts' own requirement was overridden too",
                         "scope the override to the export plugin: an object under its name")
    return Check(True, f"only the export plugin's pin is overridden: one host, {FIXED_HOST}; charts' range stands")


def publish_toys(registry: NpmRegistry, examples: Path | None = None) -> list[Tarball]:
    """Pack every toy folder of ``examples/npm/toys`` (in name order) with one ``npm pack`` and
    publish them into *registry* (:meth:`NpmRegistry.pack_toys` with no folder named)."""
    return registry.pack_toys(examples=examples)


# -- the chapter's second exercise: the plugin's own fix -------------------------------------------

_WRITTEN_FOR = "1.0.0-alpha.27"  # the host release the plugin was written and tested with


def check_plugin_range(plugin: Any, registry: NpmRegistry) -> Any:
    """Chapter 6, second exercise: does the learner's next release of the export plugin (a
    :class:`~pinlab.exercises.WorkingCopy` of ``examples/exercises/npm-export``) let the fix in?

    The copy is packed by the real ``npm pack`` and published into *registry* for the check's
    length only; a fresh copy of the toy application is installed from it with ``npm install``
    (one copy of the host must be left, the fixed one), audited with ``npm audit`` and run with
    node (the export page must be escaped); last, npm resolves the plugin beside host
    1.0.0-alpha.27, the release it was written for, which its range must still admit.
    """
    from .exercises import remembers_verdict

    # As every exercise's check: finish() puts the original back only for contents that passed,
    # and a ✘ on the file as it was at setup or at the last check asks whether it was saved.
    return remembers_verdict("package.json")(lambda copy: _check_plugin_range(copy, registry))(plugin)


def _check_plugin_range(plugin: Any, registry: NpmRegistry) -> Any:
    from .exercises import Check

    shown = f"{plugin.shown}/package.json"
    try:
        manifest = json.loads(plugin.file("package.json").read_text(encoding="utf-8"))
    except FileNotFoundError:
        return Check(False, f"{shown}: file not found", "start again with reset()")
    except json.JSONDecodeError as exc:
        return Check(False, f"{shown}, line {exc.lineno}: not valid JSON: {exc.msg}",
                     "fix that in the file and save it, or start again with reset()")
    wanted = manifest.get("dependencies", {}).get(_HOST) if isinstance(manifest, dict) else None
    if not isinstance(wanted, str):
        return Check(False, f"{shown} no longer depends on {_HOST}, which the plugin's index.js requires.",
                     f"keep the dependency on {_HOST} and change only its version range")
    before = list(registry.tarballs)
    try:
        with ThrowawayDir("npm-pack") as scratch:
            try:
                released = registry.publish(pack(plugin.path, scratch.path))
            except (RuntimeError, ValueError, KeyError) as exc:
                return Check(False, f"npm pack refuses {plugin.shown}: {str(exc).splitlines()[-1]}",
                             "compare your package.json with the original: diff('package.json')")
        return _installed_verdict(released, wanted, registry)
    finally:
        registry.tarballs = before  # the chapter's registry as it was: the release was a trial


def _installed_verdict(released: Tarball, wanted: str, registry: NpmRegistry) -> Any:
    from .exercises import Check

    with NpmProject(registry) as app:
        installing = app.npm("install --no-audit")  # npm audit runs below, once the hosts are right
        if not installing.ok:
            errors = [line for line in installing.output.splitlines()
                      if line.startswith("npm error") and "Log files" not in line and " code " not in line]
            error = errors[0] if errors else "see .details"
            return Check(False, f"npm cannot install the application with your release: {error}",
                         f'"{wanted}" must be a version range npm reads', str(installing))
        copies = app.installed()
        plugin = copies.get(f"node_modules/{released.name}")
        if plugin != released.version:
            return Check(False, f"the application (\"^0.3.0-alpha.1\") installs {released.name} {plugin}, not your "
                                f"release {released.version}.", "keep the name and the version of the original")
        hosts = sorted({version for folder, version in copies.items() if folder.endswith(_HOST)})
        if hosts != [FIXED_HOST]:
            return Check(False, f'npm still installs host {" and ".join(hosts)}: your "{wanted}" does not admit '
                                f"{FIXED_HOST}, which charts needs, so the plugin keeps a copy of its own.",
                         "release a range, as chapter 1 did in Python: the oldest host release that works, "
                         "as a lower bound", str(installing))
        audited = app.npm_json("audit")
        found = sorted(audited.get("vulnerabilities", {}))
        if found:
            return Check(False, f"npm audit still flags {', '.join(found)}.", "see .details", json.dumps(audited))
        served = app.node("index.js")
        if not served.ok or "<h1><script>" in served.output:
            return Check(False, "the application's export page still puts the script into the page.",
                         "see .details", str(served))
    with NpmProject(registry) as beside:
        beside.edit_package_json(dependencies={released.name: released.version, _HOST: _WRITTEN_FOR})
        # The tree npm would install, written to package-lock.json, all that is read here: no
        # tarball unpacked and no audit (the application's was audited above), 0.09 s of 0.4 s less.
        old_users = beside.npm("install --package-lock-only --no-audit")
        nested = {folder: version for folder, version in beside.installed().items()
                  if folder.endswith(_HOST) and folder != f"node_modules/{_HOST}"} if old_users.ok else {}
    if not old_users.ok or nested:
        return Check(False, f'your "{wanted}" leaves out host {_WRITTEN_FOR}, the release the plugin was written '
                            "and tested for: beside an application that has it, npm gives your plugin a second "
                            "copy of the host.", "state the oldest release that works as the lower bound",
                     str(old_users))
    return Check(True, f'Your release {released.version} ("{wanted}") lets the fix in: npm installs one host, '
                       f"{FIXED_HOST}, npm audit finds nothing and the export page is escaped; beside host "
                       f"{_WRITTEN_FOR} your plugin shares that copy too.")
