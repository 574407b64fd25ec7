import hashlib

import pytest
from packaging.version import Version

from pinlab import Sandbox, toy_index
from pinlab.process import Placeholders
from pinlab.toys import ToyError, build_wheel, find_substitute, find_toy, find_toys


def test_versions_lists_one_projects_releases_oldest_first(toys_index):
    assert toys_index.versions("toyhost") == [Version(v) for v in ("0.9", "1.0a27", "1.0a28", "2.0")]
    assert toys_index.versions("Toyhost_Export") == [Version("0.3a1"), Version("0.3a2")]
    assert toys_index.versions("nothing-here") == []


def test_digest_is_the_sha256_of_the_wheel_file(toys_index):
    wheel = toys_index.path / "toyhost-1.0a28-py3-none-any.whl"
    assert toys_index.digest(wheel.name) == hashlib.sha256(wheel.read_bytes()).hexdigest()


def test_outputs_name_the_hashes_of_the_wheels_in_the_index():
    with toy_index("toyhost==1.0a28") as index:
        digest = index.digest("toyhost-1.0a28-py3-none-any.whl")
        shown = index.placeholders.apply(f"--hash=sha256:{digest} in {index.path}")
    assert shown == "--hash=sha256:<hash of toyhost-1.0a28-py3-none-any.whl> in <index>"


def test_a_substitute_replaces_the_wheel_and_gets_a_name_of_its_own():
    with toy_index("toyhost==1.0a28") as index:
        name = "toyhost-1.0a28-py3-none-any.whl"
        original = index.digest(name)
        index.substitute(build_wheel(find_substitute("toyhost==1.0a28")))
        substituted = index.digest(name)
        assert [wheel.name for wheel in index.wheels()] == [name]
        assert substituted != original
        assert index.placeholders.apply(f"{original} {substituted}") == (
            f"<hash of {name}> <hash of substituted {name}>"
        )


def test_substituting_a_wheel_the_index_lacks_is_refused():
    with toy_index("toyhost==1.0a27") as index:
        with pytest.raises(ValueError) as error:
            index.substitute(build_wheel(find_substitute("toyhost==1.0a28")))
    assert str(error.value) == "cannot substitute toyhost-1.0a28-py3-none-any.whl: the index has no wheel of that name"


def test_substituting_identical_content_is_refused():
    real = build_wheel(find_toy("toyhost==1.0a28"))
    with toy_index("toyhost==1.0a28") as index:
        with pytest.raises(ValueError) as error:
            index.substitute(real)
    assert str(error.value) == f"cannot substitute {real.name}: {real} has the same content"


def test_substitutes_are_not_toys():
    substitute = find_substitute("toyhost==1.0a28")
    assert substitute.source.parent.name == "substitutes"
    assert substitute.source not in [toy.source for toy in find_toys()]
    with pytest.raises(ToyError) as error:
        find_substitute("toyhost==2.0")
    assert str(error.value) == "no substitute release 'toyhost==2.0' in examples/substitutes"


def test_a_hash_checked_install_refuses_the_substitute_and_a_plain_pin_takes_it():
    with toy_index("toyhost==1.0a28") as index, Sandbox(index) as locked, Sandbox(index) as plain:
        name = "toyhost-1.0a28-py3-none-any.whl"
        locked.write_file("requirements.lock", f"toyhost==1.0a28 --hash=sha256:{index.digest(name)}\n")
        index.substitute(build_wheel(find_substitute("toyhost==1.0a28")))
        refused = locked.pip("install --require-hashes --no-deps -r requirements.lock")
        taken = plain.pip("install toyhost==1.0a28")
    assert refused.returncode == 1 and refused.installed == {}
    assert "THESE PACKAGES DO NOT MATCH THE HASHES FROM THE REQUIREMENTS FILE" in refused.output
    assert f"Expected sha256 <hash of {name}>" in refused.output
    assert f"Got        <hash of substituted {name}>" in refused.output
    assert taken.ok and taken.installed == {"toyhost": "1.0a28"}


def test_placeholders_replace_literal_texts_longest_first():
    shown = Placeholders(texts={"abc": "<short>", "abcdef": "<long>"}).apply("abcdef abc")
    assert shown == "<long> <short>"


def test_the_toys_of_chapters_4_and_5_declare_what_the_chapters_say():
    assert find_toy("toyhost-app==1.0").dependencies == ("toyhost-export>=0.3a2", "toyhost-charts>=0.1")
    assert find_toy("toyhost-share==0.1").dependencies == ("toyhost>=1.0a28,<2.0",)
    assert find_toy("toyhost-badges==0.1").dependencies == ("toyhost>=1.0a27",)
    assert find_toy("toyhost-badges==0.2").dependencies == ("toyhost>=1.0a27,<2.0",)
    assert find_toy("toyhost==0.9").dependencies == ()
