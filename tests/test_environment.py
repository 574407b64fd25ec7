"""The environment reader: a real script run by the target interpreter, and the one blocking rule."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

from packaging.version import Version

import pinlab
from pinlab.environment import Environment, Installed, read_environment

SCRIPT = Path(pinlab.__file__).with_name("_inspect_environment.py")


def test_the_script_imports_only_the_standard_library():
    # The target interpreter may have neither pinlab nor packaging (packaging is loaded from the
    # kit's folder by path, inside a try, only for the wheel tags).
    tree = ast.parse(SCRIPT.read_text(encoding="utf-8"))
    imported = {alias.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import)
                for alias in node.names}
    imported |= {node.module.split(".")[0] for node in ast.walk(tree)
                 if isinstance(node, ast.ImportFrom) and node.module}
    assert imported - set(sys.stdlib_module_names) == {"packaging"}


def test_a_sandbox_without_pinlab_is_read_by_the_script_file(pinned_to_read):
    environment = read_environment(pinned_to_read.python)
    assert {dist.key: dist.version for dist in environment.distributions if dist.key != "pip"} == {
        "toyhost": "1.0a27", "toyhost-export": "0.3a1"}
    assert environment.get("pinlab") is None  # pinlab is not installed there: the script needs none of it
    assert environment.markers["python_full_version"].startswith(f"{sys.version_info.major}.")


def test_the_blocking_rule_counts_applying_requirements_that_exclude_the_release():
    markers = {"python_version": "3.11", "sys_platform": "linux"}
    environment = Environment.of(markers, [
        Installed("toyhost", "1.0a27", ()),
        Installed("plugin", "1", ('toyhost==1.0a27; extra == "pin"', 'toyhost<9; python_version < "3"')),
        Installed("app", "2", ("plugin[pin]", "toyhost>=1.0a27")),
    ])
    assert [edge.written for edge in environment.excluding("toyhost", Version("1.0a28"))] == [
        'toyhost==1.0a27; extra == "pin"']
    assert environment.excluding("toyhost", Version("1.0a27")) == ()
    without_the_extra = Environment.of(markers, [d for d in environment.distributions if d.name != "app"])
    assert without_the_extra.excluding("toyhost", Version("1.0a28")) == ()
