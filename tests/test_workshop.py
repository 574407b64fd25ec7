"""The instructor guide's claims about JupyterLab kernels, shown for real."""

import json
import sys

from pinlab import Sandbox
from pinlab.index import LocalIndex
from pinlab.process import clean_env, run


def test_a_kernel_without_the_kit_fails_on_the_first_import():
    """A JupyterLab of another installation runs `python3` with a Python that lacks the kit."""
    with LocalIndex() as empty, Sandbox(empty) as other_python:
        first_cell = other_python.python_run("-c", "from pinlab import Sandbox, toy_index")
    assert first_cell.returncode == 1
    assert first_cell.output.splitlines()[-1] == "ModuleNotFoundError: No module named 'pinlab'"


def test_registering_the_kits_python_as_a_kernel_makes_it_run_the_kit(tmp_path):
    """The guide's fix, `python -m ipykernel install --name pinlab`, into a throwaway prefix
    instead of --user, so that the test leaves nothing in the user's Jupyter folders."""
    done = run([sys.executable, "-m", "ipykernel", "install", "--prefix", str(tmp_path),
                "--name", "pinlab", "--display-name", "Python (pinlab)"], env=clean_env())
    assert done.ok, done.output
    spec = json.loads((tmp_path / "share" / "jupyter" / "kernels" / "pinlab" / "kernel.json").read_text())
    assert spec["display_name"] == "Python (pinlab)"
    assert spec["argv"][0] == sys.executable
    kernel_python = run([spec["argv"][0], "-c", "import pinlab; print(pinlab.Sandbox.__name__)"], env=clean_env())
    assert kernel_python.output == "Sandbox\n"
