import pytest

from pinlab import Sandbox, toy_index
from pinlab.conflicts import parse_conflict
from pinlab.sandbox import ResolutionFailed
from pinlab.toys import find_toy


@pytest.fixture(scope="module")
def empty_sandbox(toys_index):
    """One fresh sandbox for the tests that install nothing into it (each checks that it did not)."""
    with Sandbox(toys_index) as sandbox:
        yield sandbox


def test_files_are_written_read_with_placeholders_and_copied_unchanged(toys_index):
    with Sandbox(toys_index) as laptop, Sandbox(toys_index) as server:
        written = laptop.write_file("requirements.in", f"# made in {laptop.path}\ntoyhost\n")
        assert written == laptop.path / "requirements.in"
        assert laptop.read_file("requirements.in") == "# made in <sandbox>\ntoyhost\n"
        copied = laptop.copy_file("requirements.in", to=server)
        assert copied.read_text(encoding="utf-8") == written.read_text(encoding="utf-8")
        assert copied == server.path / "requirements.in"


@pytest.mark.parametrize("name", ["../escape.txt", "sub/file.txt", "", ".."])
def test_a_file_name_must_stay_in_the_sandbox(empty_sandbox, name):
    with pytest.raises(ValueError) as error:
        empty_sandbox.write_file(name, "x")
    assert str(error.value) == f"{name!r} is not a plain file name: a sandbox's files live in its own folder"


@pytest.mark.parametrize("installer", ["pip", "uv"])
def test_would_install_names_what_the_installer_picks_and_installs_nothing(empty_sandbox, installer):
    sandbox = empty_sandbox
    assert sandbox.would_install("toyhost", installer=installer) == {"toyhost": "2.0"}
    assert sandbox.would_install("toyhost<2", installer=installer) == {"toyhost": "0.9"}
    assert sandbox.would_install("toyhost<2", "--pre" if installer == "pip" else "--prerelease=allow",
                                 installer=installer) == {"toyhost": "1.0a28"}
    assert sandbox.would_install("toyhost-export==0.3a1", installer=installer) == {
        "toyhost": "1.0a27", "toyhost-export": "0.3a1"}
    assert sandbox.installed() == {}


@pytest.mark.parametrize("installer", ["pip", "uv"])
def test_would_install_raises_with_the_installers_text_when_nothing_fits(empty_sandbox, installer):
    with pytest.raises(ResolutionFailed) as error:
        empty_sandbox.would_install("toyhost-export==0.3a1", "toyhost-charts", installer=installer)
    first, _, rest = str(error.value).partition("\n")
    assert first == f"{installer} found no solution for toyhost-export==0.3a1 toyhost-charts:"
    conflict = parse_conflict(rest)  # the installer's own text is kept
    assert conflict is not None and conflict.installer == installer


def test_would_install_knows_only_pip_and_uv(empty_sandbox):
    with pytest.raises(ValueError) as error:
        empty_sandbox.would_install("toyhost", installer="conda")
    assert str(error.value) == "unknown installer 'conda': expected 'pip' or 'uv'"


def test_a_failing_toy_test_names_site_packages_not_a_machine_path():
    badges = find_toy("toyhost-badges==0.1")
    with toy_index("toyhost==2.0", "toyhost-badges==0.1") as index, Sandbox(index) as sandbox:
        # Set up with uv (0.1 s, pip 0.5 s): what is asserted is the toy's test, whichever installer put it there.
        assert sandbox.uv("pip install toyhost-badges==0.1").installed == {"toyhost": "2.0", "toyhost-badges": "0.1"}
        result = sandbox.test(badges)
    assert result.returncode == 1
    assert '  File "<site-packages>/toyhost_badges/__init__.py", line 10, in badge' in result.output.splitlines()
    assert "AttributeError: module 'toyhost' has no attribute 'legacy_title'" in result.output.splitlines()
    assert str(sandbox.path) not in result.output
