"""Sphinx configuration for the pinlab guide (sources in book/, output in _build/html).

Build with ``nox -s book``, or ``sphinx-build -n -W --keep-going -c . book _build/html``.
Notebooks are not executed here: the guide shows the outputs that nbval validated.
"""

project = "pinlab"
author = "the pinlab team"
copyright = "2026, the pinlab team"

extensions = ["myst_nb", "sphinx_copybutton"]

exclude_patterns = ["_build", "**.ipynb_checkpoints", "conftest.py", "workspace"]
root_doc = "index"

# The committed outputs are the ones nbval compares; building must not re-run the labs.
nb_execution_mode = "off"
nb_merge_streams = True
myst_enable_extensions = ["colon_fence", "deflist", "dollarmath", "substitution"]
myst_heading_anchors = 3

html_theme = "sphinx_book_theme"
html_title = "pinlab: libraries must not pin with =="
html_theme_options = {
    "show_toc_level": 2,
    "use_download_button": True,
    "home_page_in_toc": True,
    # sphinx-book-theme puts a search field in the sidebar; pydata-sphinx-theme 0.20 adds a second
    # one in a header bar unless this is set (pynucastro/pynucastro#1427). One search field is enough.
    "navbar_persistent": [],
}
# Relative to this file's folder (the configuration directory), not to book/.
html_static_path = ["book/_static"]
html_favicon = "book/_static/favicon.svg"  # ≥, the lesson; browsers also stop asking for /favicon.ico
html_css_files = ["pinlab.css"]  # long output lines wrap instead of hiding past a scroll bar
# Without a default mode, a first visit (empty localStorage) logs "Got invalid theme mode: ."
# as a console error (pydata/pydata-sphinx-theme#1635); tests/test_guide_in_browser.py checks.
html_context = {"default_mode": "auto"}

# Copy only the command, never the "$ " prompt or the output.
copybutton_prompt_text = r"\$ |>>> "
copybutton_prompt_is_regexp = True

# --- Facts about the kit, computed at every build, never typed into a page ----------------------
# Pages and chapters write {{ name }} (MyST substitutions); tests/test_conf.py checks each value
# against the repository. Everything here reads files only: the build stays offline.

import sys
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - the guide is built on 3.11+, but 3.10 is supported
    import tomli as tomllib

from packaging.markers import default_environment
from packaging.requirements import Requirement
from packaging.tags import Tag, compatible_tags, cpython_tags
from packaging.utils import canonicalize_name, parse_wheel_filename

ROOT = Path(__file__).resolve().parent

# The wheelhouse is counted for the laptops of the CI machine's kind (nox -s wheelhouse with no
# --platform builds for the machine it runs on): Linux x86_64 with glibc 2.36 (Debian 12), CPython 3.11.
WHEELHOUSE_TARGET = "Linux x86_64, Python 3.11"
_TARGET_MARKERS = {**default_environment(), "sys_platform": "linux", "platform_system": "Linux",
                   "os_name": "posix", "platform_machine": "x86_64", "implementation_name": "cpython",
                   "platform_python_implementation": "CPython", "python_version": "3.11",
                   "python_full_version": "3.11.7", "implementation_version": "3.11.7", "extra": ""}
_TARGET_PLATFORMS = [*(f"manylinux_2_{minor}_x86_64" for minor in range(36, 16, -1)), "manylinux2014_x86_64",
                     *(f"manylinux_2_{minor}_x86_64" for minor in range(16, 4, -1)),
                     "manylinux2010_x86_64", "manylinux1_x86_64", "linux_x86_64"]
_TARGET_TAGS = [*cpython_tags((3, 11), platforms=_TARGET_PLATFORMS),
                *compatible_tags((3, 11), "cp311", platforms=_TARGET_PLATFORMS)]


def project_urls(pyproject: Path = ROOT / "pyproject.toml") -> dict[str, str]:
    """``[project.urls]`` of the kit: the one place that says where it is published."""
    with pyproject.open("rb") as file:
        return dict(tomllib.load(file)["project"].get("urls", {}))


def getting_the_kit(urls: dict[str, str]) -> dict[str, str]:
    """How a reader gets the kit and pinlab, from ``[project.urls]``: the address when there is one,
    and otherwise a plain "not published yet" with the routes that work today."""
    source = urls.get("Source")
    if source:
        return {
            "kit_status": f"The kit is published at <{source}>.",
            "get_the_kit": f"Clone the repository, `git clone {source}`",
            "install_pinlab": f'`python -m pip install "pinlab @ git+{source}"`',
            "precommit_route": f"point `repo:` at `{source}` and `rev:` at a release tag",
        }
    return {
        "kit_status": ("**The kit is not published yet**: it has no public repository and is not on PyPI, "
                       "so there is no address to clone or install it from. The routes below work today."),
        "get_the_kit": ("Get the kit's folder from whoever runs your workshop (the USB stick) or from a "
                        "colleague's clone (it is not published yet)"),
        "install_pinlab": ("`python -m pip install /path/to/the/kit` (the folder you were given: the two "
                           "commands alone), or `python -m pip install 'pinlab[lab]'` from the stick's "
                           "`wheelhouse/` (see the [setup checklist](workshop/setup.md)); it is not on PyPI"),
        "precommit_route": ("use `repo: local` with pinlab installed in your environment, as below, or try the "
                            "kit's own hook from its folder with `pre-commit try-repo /path/to/the/kit pinlab-lint`"),
    }


def toy_releases(examples: Path = ROOT / "examples" / "toys") -> list[str]:
    """The toy releases (one folder each, each a real project): ``pinlab doctor`` builds one wheel per toy."""
    return sorted(folder.name for folder in examples.iterdir() if (folder / "pyproject.toml").is_file())


def wheelhouse_wheels(lock: Path = ROOT / "uv.lock", extras: tuple[str, ...] = ("lab",),
                      groups: tuple[str, ...] = ("jupyter",)) -> list[dict]:
    """The locked wheel that ``nox -s wheelhouse`` fetches for each package of pinlab, its *extras* and
    *groups*, for :data:`WHEELHOUSE_TARGET` (what ``uv export`` lists for that platform), read from uv.lock."""
    with lock.open("rb") as file:
        packages = tomllib.load(file)["package"]
    by_name: dict[str, list[dict]] = {}
    for package in packages:
        by_name.setdefault(canonicalize_name(package["name"]), []).append(package)
    (root,) = by_name["pinlab"]

    def applies(dependency: dict) -> bool:
        return "marker" not in dependency or Requirement(f"x; {dependency['marker']}").marker.evaluate(_TARGET_MARKERS)

    def resolved(dependency: dict) -> dict:
        candidates = by_name[canonicalize_name(dependency["name"])]
        return next(p for p in candidates if p["version"] == dependency.get("version", p["version"]))

    wanted = [dep for dep in root.get("dependencies", []) if applies(dep)]
    wanted += [dep for extra in extras for dep in root.get("optional-dependencies", {}).get(extra, []) if applies(dep)]
    wanted += [dep for group in groups for dep in root.get("dev-dependencies", {}).get(group, []) if applies(dep)]
    seen: dict[tuple[str, str], dict] = {}
    done: set[tuple[str, str, str]] = set()
    while wanted:
        dependency = wanted.pop()
        package = resolved(dependency)
        key = (package["name"], package["version"])
        seen[key] = package
        for extra in ["", *dependency.get("extra", [])]:
            if (*key, extra) in done:
                continue
            done.add((*key, extra))
            more = package.get("dependencies", []) if not extra else package.get("optional-dependencies", {}).get(extra, [])
            wanted += [dep for dep in more if applies(dep)]
    return [_best_wheel(package) for _, package in sorted(seen.items())]


def _best_wheel(package: dict) -> dict:
    """The wheel an installer on the target picks among a locked package's wheels (best tag first)."""
    ranked = {tag: rank for rank, tag in enumerate(_TARGET_TAGS)}
    scored = []
    for wheel in package.get("wheels", []):
        tags = parse_wheel_filename(wheel["url"].rsplit("/", 1)[-1])[3]
        rank = min((ranked[tag] for tag in tags if tag in ranked), default=None)
        if rank is not None:
            scored.append((rank, wheel))
    if not scored:
        raise ValueError(f"uv.lock has no wheel of {package['name']} {package['version']} for {WHEELHOUSE_TARGET}")
    return min(scored, key=lambda pair: pair[0])[1]


def kit_facts() -> dict[str, str]:
    """Every substitution the guide uses."""
    wheels = wheelhouse_wheels()
    return {
        **getting_the_kit(project_urls()),
        "toy_count": str(len(toy_releases())),
        # + 1: pinlab's own wheel, built by the session and added beside the locked ones.
        "wheelhouse_wheels": str(len(wheels) + 1),
        "wheelhouse_mb": str(round(sum(wheel["size"] for wheel in wheels) / 1e6)),
        "wheelhouse_target": WHEELHOUSE_TARGET,
    }


myst_substitutions = kit_facts()
