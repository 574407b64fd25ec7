"""Modules meet at public names, and what runs inside another interpreter is a real file (issue 16, items 3-4)."""

from __future__ import annotations

import ast
import json
import os
import sys
import zipfile
from pathlib import Path

from pinlab import Sandbox
from pinlab.process import clean_env, run
from pinlab.sandbox import STOPPED

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "pinlab"

def _modules() -> dict[str, ast.Module]:
    return {path.name: ast.parse(path.read_text(encoding="utf-8")) for path in sorted(PACKAGE.glob("*.py"))}


def _private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def test_no_module_imports_or_calls_another_modules_private_names():
    modules = _modules()
    reaching = set()
    for filename, tree in modules.items():
        defined = {node.name for node in ast.walk(tree)
                   if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))}
        defined |= {target.attr for node in ast.walk(tree) if isinstance(node, (ast.Assign, ast.AnnAssign))
                    for target in (node.targets if isinstance(node, ast.Assign) else [node.target])
                    if isinstance(target, ast.Attribute)}
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.level == 1:
                reaching |= {(filename, node.module or "", alias.name) for alias in node.names if _private(alias.name)}
            # sandbox._pip_env(): a private method or attribute of an object of another module's class
            elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and _private(node.func.attr)
                  and isinstance(node.func.value, ast.Name) and node.func.value.id not in ("self", "cls")
                  and node.func.attr not in defined):
                reaching.add((filename, node.func.value.id, node.func.attr))
    assert reaching == set()


def _python_c_scripts(tree: ast.Module) -> list[str | None]:
    """The code given to ``python -c`` in argument lists: what follows a "-c" (or "-Ic") element,
    None where it is computed (a name, a call: a script kept elsewhere)."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.List):
            for option, code in zip(node.elts, node.elts[1:], strict=False):
                if isinstance(option, ast.Constant) and option.value in ("-c", "-Ic"):
                    text = code.value if isinstance(code, ast.Constant) else None
                    found.append(text if isinstance(text, str) else None)
    return found


def test_no_script_longer_than_one_statement_is_run_with_python_c():
    scripts = {filename: _python_c_scripts(tree) for filename, tree in _modules().items()}
    longer = {filename: found for filename, found in scripts.items()
              if any(code is None or ";" in code or "\n" in code for code in found)}
    assert longer == {}


def test_the_scripts_run_in_other_interpreters_ship_with_the_modules_that_run_them(pinlab_wheel):
    with zipfile.ZipFile(pinlab_wheel) as archive:
        names = set(archive.namelist())
    # read_environment (light: lint and explain --python) and audit (the lab) run these two.
    assert {"pinlab/_inspect_environment.py", "pinlab/_run_pip_audit.py", "pinlab/_local_server.py"} <= names
    # The wheelhouse's probe is maintainer tooling, like wheelhouse.py: it stays in the checkout.
    assert not {"pinlab/wheelhouse.py", "pinlab/_wheelhouse_probe.py"} & names


def test_the_wheelhouse_probe_says_what_an_interpreter_is_and_refuses_another_question():
    probe = PACKAGE / "_wheelhouse_probe.py"
    asked = run([sys.executable, "-I", probe, "interpreter"], env=clean_env(), merge_output=False)
    implementation, version, platform_name, _ = json.loads(asked.output)
    assert (implementation, platform_name) == (sys.implementation.name.replace("cpython", "CPython"), sys.platform)
    assert version == ".".join(map(str, sys.version_info[:3]))
    wrong = run([sys.executable, "-I", probe, "versions"], env=clean_env())
    assert (wrong.returncode, wrong.output) == (2, "usage: _wheelhouse_probe.py interpreter|distributions\n")


def test_sandbox_run_is_a_transcript_in_the_sandbox_with_its_placeholders_and_a_clean_environment(
        toys_index, monkeypatch):
    monkeypatch.setenv("PIP_INDEX_URL", "http://127.0.0.1:9/simple")
    with Sandbox(toys_index) as sandbox:
        code = "import os; print(os.getcwd()); print(os.environ.get('PIP_INDEX_URL'))"
        done = sandbox.run([str(sandbox.python), "-I", "-c", code], shown_as=["python", "where.py"])
        assert (done.command, done.returncode, done.output, dict(done.installed)) == (
            ("python", "where.py"), 0, "<sandbox>\nNone\n", {})
        # With the sandbox's pip settings, as pip-audit --fix gets them: no index but the local one.
        env = sandbox.pip_env()
        done = sandbox.run([str(sandbox.python), "-I", "-c", "import os; print(os.environ['PIP_FIND_LINKS'])"],
                           shown_as=["python"], env=env)
        assert done.output == "<index>\n"  # the local index, its file: URL shown as a reader sees it
        assert env["PIP_NO_INDEX"] == "1" and env["PIP_CONFIG_FILE"] == os.devnull and "PIP_INDEX_URL" not in env
        sandbox.time_limit = 0.5
        stopped = sandbox.run([str(sandbox.python), "-I", "-c", "import time; time.sleep(30)"], shown_as=["python"])
        assert stopped.returncode == STOPPED and stopped.output.startswith("[pinlab stopped it: ")
