import shutil
import zipfile

import pytest

from pinlab import toys
from pinlab.toys import ToyError, build_wheel, compare, content_hash, find_toy, find_toys, load_toy

EXPECTED = [
    "toyhost==1.0a27", "toyhost==1.0a28", "toyhost==2.0",
    "toyhost-charts==0.1", "toyhost-export==0.3a1", "toyhost-export==0.3a2",
]


def test_the_toy_universe_mirrors_the_story():
    keys = [toy.key for toy in find_toys()]
    assert set(EXPECTED) <= set(keys)
    assert find_toy("toyhost-export==0.3a1").dependencies == ("toyhost==1.0a27",)
    assert find_toy("toyhost-export==0.3a2").dependencies == ("toyhost>=1.0a27",)
    assert find_toy("toyhost-charts==0.1").dependencies == ("toyhost>=1.0a28",)


def test_the_fix_is_one_character():
    changed = [line for line in compare("toyhost-export==0.3a1", "toyhost-export==0.3a2").splitlines()
               if line[:1] in "+-" and not line.startswith(("+++", "---"))]
    assert changed == [
        '-version = "0.3a1"', '+version = "0.3a2"',
        '-dependencies = ["toyhost==1.0a27"]', '+dependencies = ["toyhost>=1.0a27"]',
    ]


def test_a_built_wheel_carries_the_pin_in_its_metadata():
    wheel = build_wheel(find_toy("toyhost-export==0.3a1"))
    with zipfile.ZipFile(wheel) as archive:
        metadata = archive.read("toyhost_export-0.3a1.dist-info/METADATA").decode()
    assert "Requires-Dist: toyhost==1.0a27" in metadata.splitlines()


@pytest.fixture
def private_examples(tmp_path, monkeypatch):
    """A copy of examples/ and an empty wheel cache, so that edits touch nothing shared."""
    examples = tmp_path / "examples"
    shutil.copytree(toys.examples_dir() / "toys", examples / "toys")
    monkeypatch.setenv("PINLAB_CACHE", str(tmp_path / "cache"))
    built = []
    real_build = toys._build_into
    monkeypatch.setattr(toys, "_build_into", lambda toy, out: (built.append(toy.key), real_build(toy, out)))
    return examples, built


def test_wheels_are_cached_by_content_and_an_edit_rebuilds_only_that_toy(private_examples):
    examples, built = private_examples
    plugin = next(t for t in find_toys(examples) if t.key == "toyhost-export==0.3a1")
    host = next(t for t in find_toys(examples) if t.key == "toyhost==1.0a27")
    first_plugin, first_host = build_wheel(plugin), build_wheel(host)
    assert built == ["toyhost-export==0.3a1", "toyhost==1.0a27"]

    assert build_wheel(plugin) == first_plugin and build_wheel(host) == first_host
    assert len(built) == 2, "an unchanged toy must come from the cache"

    pyproject = plugin.source / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace("toyhost==1.0a27", "toyhost>=1.0a27"))
    edited = load_toy(plugin.source)
    assert build_wheel(edited) != first_plugin
    assert build_wheel(host) == first_host
    assert built == ["toyhost-export==0.3a1", "toyhost==1.0a27", "toyhost-export==0.3a1"]


def test_build_leftovers_do_not_change_the_content_hash(private_examples):
    examples, _ = private_examples
    source = examples / "toys" / "toyhost-1.0a27"
    before = content_hash(source)
    (source / "src" / "toyhost" / "__pycache__").mkdir()
    (source / "src" / "toyhost" / "__pycache__" / "x.pyc").write_bytes(b"\0")
    assert content_hash(source) == before


def test_invalid_toml_is_one_line_naming_the_file(private_examples):
    examples, _ = private_examples
    pyproject = examples / "toys" / "toyhost-1.0a27" / "pyproject.toml"
    pyproject.write_text('[project]\nname = "toyhost"\nversion = 1.0a27\n')
    with pytest.raises(ToyError) as caught:
        load_toy(pyproject.parent)
    message = str(caught.value)
    assert message.startswith(f"{pyproject}: invalid TOML: ")
    assert "\n" not in message


def test_an_invalid_requirement_is_quoted(private_examples):
    examples, _ = private_examples
    pyproject = examples / "toys" / "toyhost-export-0.3a1" / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace("toyhost==1.0a27", "toyhost=>1.0a27"))
    with pytest.raises(ToyError, match=r"invalid requirement 'toyhost=>1.0a27'"):
        load_toy(pyproject.parent)


def test_a_missing_toy_is_named():
    with pytest.raises(ToyError, match=r"no toy release 'toyhost==9.9'"):
        find_toy("toyhost==9.9")
