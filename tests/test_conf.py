"""The facts conf.py computes for the guide: where the kit is published, and numbers about the kit."""

import importlib.util
import re
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name, parse_wheel_filename
from packaging.version import Version
from uv import find_uv_bin

from pinlab.process import clean_env, run
from pinlab.toys import find_toys

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("guide_conf", ROOT / "conf.py")
assert _spec is not None and _spec.loader is not None, "conf.py should load as a module"
conf = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(conf)


def test_the_kit_is_not_published_and_every_route_says_so():
    assert "Source" not in conf.project_urls()  # no address exists yet: none may be typed anywhere
    facts = conf.myst_substitutions
    assert facts["kit_status"].startswith("**The kit is not published yet**")
    assert "not published yet" in facts["get_the_kit"]
    assert "python -m pip install /path/to/the/kit" in facts["install_pinlab"]
    assert "repo: local" in facts["precommit_route"] and "pre-commit try-repo" in facts["precommit_route"]


def test_a_published_address_reaches_every_route(tmp_path):
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text('[project]\nname = "pinlab"\n[project.urls]\nSource = "https://example.org/pinlab"\n')
    routes = conf.getting_the_kit(conf.project_urls(pyproject))
    assert routes == {
        "kit_status": "The kit is published at <https://example.org/pinlab>.",
        "get_the_kit": "Clone the repository, `git clone https://example.org/pinlab`",
        "install_pinlab": '`python -m pip install "pinlab @ git+https://example.org/pinlab"`',
        "precommit_route": "point `repo:` at `https://example.org/pinlab` and `rev:` at a release tag",
    }


def test_no_page_or_recipe_names_a_placeholder_address():
    readers_copy = [*(ROOT / "book").rglob("*.md"), *(ROOT / "examples" / "ci").iterdir()]
    for path in readers_copy:
        text = path.read_text(encoding="utf-8")
        assert "OWNER" not in text and "github.com/OWNER" not in text, path
    for page in ("index.md", "workshop/troubleshooting.md"):
        assert "{{ kit_status }}" in (ROOT / "book" / page).read_text(encoding="utf-8"), page


def test_the_toy_count_is_the_toys_pinlab_doctor_builds():
    assert conf.myst_substitutions["toy_count"] == str(len(find_toys())) == "11"
    assert "{{ toy_count }}" in (ROOT / "book" / "workshop" / "setup.md").read_text(encoding="utf-8")


def test_the_wheelhouse_count_is_what_uv_export_lists_for_the_target():
    """conf.py walks uv.lock itself (the guide's build has no uv); uv's own export must agree."""
    exported = run([find_uv_bin(), "export", "--locked", "--no-emit-project", "--no-default-groups", "--extra=lab",
                    "--group=jupyter", "--format=requirements-txt", "--no-header", "--no-annotate", "--no-hashes"],
                   env=clean_env({"UV_NO_CONFIG": "1", "UV_OFFLINE": "1"}), cwd=ROOT, merge_output=False)
    assert exported.ok, exported.output
    wanted = set()
    for line in exported.output.splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            requirement = Requirement(line)
            if requirement.marker is None or requirement.marker.evaluate(conf._TARGET_MARKERS):
                wanted.add((canonicalize_name(requirement.name), Version(next(iter(requirement.specifier)).version)))
    wheels = conf.wheelhouse_wheels()
    assert {parse_wheel_filename(wheel["url"].rsplit("/", 1)[-1])[:2] for wheel in wheels} == wanted
    facts = conf.myst_substitutions
    assert facts["wheelhouse_wheels"] == str(len(wanted) + 1)  # and pinlab's own wheel
    assert int(facts["wheelhouse_mb"]) == round(sum(wheel["size"] for wheel in wheels) / 1e6) > 0
    offline = (ROOT / "book" / "workshop" / "offline.md").read_text(encoding="utf-8")
    assert "{{ wheelhouse_wheels }} wheels ({{ wheelhouse_mb }} MB)" in offline


def _prose(notebook_path):
    """A chapter's own markdown (not the exercises', not the rendered lesson cells), without code blocks and headings."""
    import nbformat

    cells = [cell.source for cell in nbformat.read(notebook_path, as_version=4).cells if cell.cell_type == "markdown"
             and not {"exercise", "lesson-overview", "lesson-keypoints"} & set(cell.metadata.get("tags", []))]
    text = re.sub(r"```.*?```", "", "\n".join(cells), flags=re.S)
    return re.sub(r"^#.*$", "", text, flags=re.M)


GLOSSARY = (ROOT / "book" / "glossary.md").read_text(encoding="utf-8")
TERMS = re.findall(r"^([A-Za-z][\w \-]+)\n  ", GLOSSARY.split("```{glossary}")[1], re.M)
CHAPTERS = sorted((ROOT / "book").glob("0*.ipynb"))


def test_the_glossary_has_the_words_newcomers_meet():
    assert {"resolver", "wheel", "sdist", "build backend", "metadata", "specifier", "pre-release", "lock file", "nox",
            "pre-commit hook", "extra", "virtual environment", "advisory", "OSV", "PEP 440"} <= set(TERMS)


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda path: path.name)
def test_each_chapter_links_every_glossary_term_it_uses(path):
    text = _prose(path)
    unlinked = []
    for term in TERMS:
        linked = re.search(r"\{term\}`(" + re.escape(term) + r"|[^`]*<" + re.escape(term) + r">)`", text, re.I)
        used = re.search(r"(?<![`\w<\-])" + re.escape(term) + r"s?(?![\w`>\-])", re.sub(r"\{term\}`[^`]*`", "", text), re.I)
        if used and not linked:
            unlinked.append(term)
    assert unlinked == []


def test_chapter_5_says_the_kit_is_unpublished_exactly_while_pyproject_does():
    says_so = "the kit is\nnot published yet" in _prose(ROOT / "book" / "05-detect-it.ipynb")
    assert says_so == ("Source" not in conf.project_urls())
