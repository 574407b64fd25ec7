"""``pip install pinlab`` is light: what lint and explain need, and the lab as the ``lab`` extra.

Three checks, as a user would make them: the built wheel's metadata; a real install of that wheel
without extras into a fresh environment, offline, where ``pinlab lint`` and ``pinlab explain``
run and the lab's features say what to install; and what importing the commands pulls in.

Where the install finds its dependencies offline: a folder holding pinlab's wheel, built here
from this checkout, and wheels of ``packaging`` and ``dependency-groups`` (``tomli`` on 3.10)
rebuilt from the files the test environment installed from PyPI, each file checked against the
installer's RECORD (so it is the released code, byte for byte). Nothing else is in the folder, so
a requirement outside that set fails the install (``No matching distribution``), as it would for
a user whose hook may bring only these. Downloading (``pip download``) would need the network;
uv's cache holds unpacked trees rather than wheels and depends on what the machine ran before.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import json
import subprocess
import sys
import zipfile
from importlib import metadata
from pathlib import Path

import pytest
from packaging.metadata import Metadata
from packaging.utils import canonicalize_name, parse_wheel_filename

from pinlab import LocalIndex, Sandbox
from pinlab.process import clean_env

ROOT = Path(__file__).resolve().parents[1]
LAB = {"build", "filelock", "hatchling", "pip-audit", "platformdirs", "uv", "virtualenv"}
"""What the lab extra brings: toy builds, sandboxes, uv beside pip, pip-audit."""
LIGHT = ["packaging", "dependency-groups", *(["tomli"] if sys.version_info < (3, 11) else [])]
"""What ``pip install pinlab`` may bring besides pinlab, on this Python."""
WITHOUT_LAB = ("pinlab doctor: needs pinlab's lab extra; missing here: build, filelock, hatchling, pip-audit, platformdirs, "
               "uv, virtualenv; install it with: pip install 'pinlab[lab]'")
# Top-level modules of the lab's dependencies, and pinlab's own lab modules: the commands need none.
HEAVY = {"build", "filelock", "hatchling", "pip_audit", "platformdirs", "uv", "virtualenv"}
LAB_MODULES = {"pinlab.advisory_service", "pinlab.auditing", "pinlab.exercises", "pinlab.graph", "pinlab.index",
               "pinlab.sandbox", "pinlab.toys", "pinlab.workdir"}


def _metadata(wheel: Path) -> Metadata:
    with zipfile.ZipFile(wheel) as archive:
        (name,) = [n for n in archive.namelist() if n.endswith(".dist-info/METADATA")]
        return Metadata.from_email(archive.read(name), validate=False)


def _b64_sha256(data: bytes) -> str:
    return "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


def wheel_of_installed(name: str, dest: Path) -> Path:
    """A wheel of the installed pure-Python distribution *name*, rebuilt from its files.

    Every file its RECORD lists inside site-packages, each checked against the hash recorded when
    it was installed; what the installer itself wrote (INSTALLER, REQUESTED, direct_url.json,
    RECORD, scripts, bytecode) is left out, and a new RECORD written, as in the original wheel.
    """
    dist = metadata.distribution(name)
    wheel_info = dist.read_text("WHEEL") or ""
    assert "Tag: py3-none-any" in wheel_info and "Root-Is-Purelib: true" in wheel_info, f"{name} is not pure Python"
    record_path = next(f for f in dist.files or () if f.name == "RECORD" and f.parent.name.endswith(".dist-info"))
    recorded = {row[0]: row[1] for row in csv.reader(io.StringIO(dist.locate_file(record_path).read_text()))}
    written_by_installer = {"INSTALLER", "REQUESTED", "direct_url.json", "RECORD"}
    files = [f for f in dist.files or () if not f.as_posix().startswith("../") and f.suffix != ".pyc"
             and "__pycache__" not in f.parts
             and not (f.parent == record_path.parent and f.name in written_by_installer)]
    target = dest / f"{canonicalize_name(name).replace('-', '_')}-{dist.version}-py3-none-any.whl"
    rows = []
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for file in files:
            data = Path(str(dist.locate_file(file))).read_bytes()
            assert recorded.get(file.as_posix()) == _b64_sha256(data), f"{file} differs from what was installed"
            archive.writestr(file.as_posix(), data)
            rows.append(f"{file.as_posix()},{_b64_sha256(data)},{len(data)}\n")
        archive.writestr(record_path.as_posix(), "".join(rows) + f"{record_path.as_posix()},,\n")
    return target


@pytest.fixture(scope="module")
def light(pinlab_wheel, tmp_path_factory):
    """A fresh environment where the real pip installed pinlab's wheel, without extras, offline."""
    folder = tmp_path_factory.mktemp("light-wheels")
    wheels = [pinlab_wheel, *(wheel_of_installed(name, folder) for name in LIGHT)]
    with LocalIndex(wheels) as index, Sandbox(index) as sandbox:
        installed = sandbox.pip("install", "pinlab")
        assert installed.ok, installed.output
        yield sandbox


# -- the wheel's metadata ---------------------------------------------------------------------------

def test_the_wheel_requires_only_what_lint_and_explain_need_and_declares_the_lab_extra(pinlab_wheel):
    requires = _metadata(pinlab_wheel).requires_dist or []
    always = {canonicalize_name(r.name): r for r in requires if r.marker is None}
    tomli = [r for r in requires if r.name == "tomli"]
    lab = {canonicalize_name(r.name): r for r in requires
           if r.marker is not None and r.marker.evaluate({"extra": "lab"}) and not r.marker.evaluate({"extra": ""})}

    assert len(always) <= 4 and not LAB & set(always), sorted(always)
    assert set(always) == {"dependency-groups", "packaging"}
    assert [str(r) for r in tomli] == ['tomli>=1.1; python_version < "3.11"']
    assert set(lab) == LAB
    assert _metadata(pinlab_wheel).provides_extra == ["lab"]
    # The kit practises what it teaches: lower bounds only, no == and no cap.
    assert all(spec.operator == ">=" for r in requires for spec in r.specifier), [str(r) for r in requires]


def test_the_maintainer_tooling_is_not_in_the_wheel(pinlab_wheel):
    with zipfile.ZipFile(pinlab_wheel) as archive:
        modules = {Path(name).stem for name in archive.namelist() if name.startswith("pinlab/")}
    assert {"cli", "lint", "explain", "doctor", "sandbox"} <= modules
    assert not {"lessons", "notebooks", "wheelhouse"} & modules


# -- a real install without extras, offline -----------------------------------------------------

def test_pip_install_pinlab_brings_only_packaging_and_dependency_groups(light, pinlab_wheel):
    version = str(parse_wheel_filename(pinlab_wheel.name)[1])
    assert light.installed() == {"pinlab": version, **{name: metadata.version(name) for name in LIGHT}}
    assert len(light.installed()) - 1 <= 4


def _pinlab(python: Path | str, *args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(python), "-I", "-m", "pinlab", *map(str, args)], capture_output=True, text=True,
                          encoding="utf-8", env=clean_env(), cwd=ROOT, check=False)


def test_lint_runs_in_the_light_install_as_in_the_kit(light, pinlab_wheel):
    pinned = ROOT / "examples" / "toys" / "toyhost-export-0.3a1" / "pyproject.toml"
    there, here = _pinlab(light.python, "lint", pinned), _pinlab(sys.executable, "lint", pinned)
    assert (there.returncode, there.stdout, there.stderr) == (here.returncode, here.stdout, here.stderr)
    assert there.returncode == 1 and "PIN002" in there.stdout and "toyhost==1.0a27" in there.stdout
    # And on its own wheel: nothing pinned, nothing capped.
    assert _pinlab(light.python, "lint", pinlab_wheel).returncode == 0


def test_explain_runs_in_the_light_install_as_in_the_kit(light, pinned_to_read):
    advisories = ROOT / "examples" / "advisories"
    args = ("explain", "--advisories", advisories, "--python", pinned_to_read.python)
    there, here = _pinlab(light.python, *args), _pinlab(sys.executable, *args)
    assert (there.returncode, there.stdout, there.stderr) == (here.returncode, here.stdout, here.stderr)
    assert there.returncode == 1 and "toyhost-export" in there.stdout, there.stdout + there.stderr


def test_the_doctor_without_the_lab_says_what_to_install_and_exits_2(light):
    done = _pinlab(light.python, "doctor")
    assert (done.returncode, done.stdout, done.stderr) == (2, "", WITHOUT_LAB + "\n")


def test_the_lab_api_without_the_lab_says_what_to_install(light):
    done = subprocess.run([str(light.python), "-I", "-c", "from pinlab import Sandbox"], capture_output=True,
                          text=True, encoding="utf-8", env=clean_env(), check=False)
    assert done.returncode == 1
    assert done.stderr.splitlines()[-1] == "pinlab.extras.LabMissing: " + WITHOUT_LAB.replace(
        "pinlab doctor", "pinlab.Sandbox")


# -- what the commands import -------------------------------------------------------------------

_IMPORTED = """\
import json, sys
{statement}
print(json.dumps(sorted(sys.modules)))
"""


@pytest.mark.parametrize("module", ["pinlab", "pinlab.cli", "pinlab.lint", "pinlab.explain", "pinlab.requirements",
                                    "pinlab.environment", "pinlab.advisories"])
def test_importing_what_the_commands_need_imports_nothing_of_the_lab(module):
    imported = _imported(f"import {module}")
    assert not {name for name in imported if name.split(".")[0] in HEAVY or name in LAB_MODULES}


def test_running_lint_and_explain_imports_nothing_of_the_lab(pinned_to_read):
    pyproject = ROOT / "examples" / "toys" / "toyhost-export-0.3a1" / "pyproject.toml"
    advisories = ROOT / "examples" / "advisories"
    statement = (f"from pinlab.cli import main\n"
                 f"assert main(['lint', {str(pyproject)!r}]) == 1\n"
                 f"assert main(['explain', '--advisories', {str(advisories)!r}, '--python', {str(pinned_to_read.python)!r}]) == 1")
    imported = _imported(statement)
    assert "pinlab.lint" in imported and "pinlab.explain" in imported  # they did run
    assert not {name for name in imported if name.split(".")[0] in HEAVY or name in LAB_MODULES}


def _imported(statement: str) -> list[str]:
    done = subprocess.run([sys.executable, "-I", "-c", _IMPORTED.format(statement=statement)], capture_output=True,
                          text=True, encoding="utf-8", env=clean_env(), cwd=ROOT, check=False)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.splitlines()[-1])
