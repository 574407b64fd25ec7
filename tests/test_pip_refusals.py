"""Installer text read in one place: pip's --require-hashes refusals, pip check's report, uv's last sentence, from the real tools."""

import textwrap

import pytest

from pinlab.conflicts import broken_promises, hash_refusal, last_error, last_sentence
from pinlab.index import toy_index
from pinlab.sandbox import Sandbox


@pytest.fixture(scope="module")
def lab():
    with toy_index("toyhost==1.0a27", "toyhost==1.0a28", "toyhost-export==0.3a1") as index, Sandbox(index) as sandbox:
        yield index, sandbox


def refusal_of(lab, tmp_path, lines):
    index, sandbox = lab
    requirements = tmp_path / "requirements lock.txt"
    requirements.write_text("\n".join(lines) + "\n", encoding="utf-8")
    refused = sandbox.pip("install --dry-run --require-hashes -r", requirements)
    assert not refused.ok
    return hash_refusal(refused.output)


def wheel_digest(index, name):
    return "sha256:" + index.digest(next(wheel.name for wheel in index.wheels() if wheel.name.startswith(name)))


def test_a_file_whose_hash_is_not_the_one_written_is_a_mismatch_naming_its_requirement(lab, tmp_path):
    refusal = refusal_of(lab, tmp_path, [f"toyhost==1.0a28 --hash=sha256:{'0' * 64}"])
    assert (refusal.reason, refusal.requirements) == ("mismatch", ("toyhost==1.0a28",))


def test_a_requirement_without_a_hash_is_missing_naming_it(lab, tmp_path):
    index, _ = lab
    refusal = refusal_of(lab, tmp_path, [
        f"toyhost-export==0.3a1 --hash={wheel_digest(index, 'toyhost_export-0.3a1')}", "toyhost==1.0a27"])
    assert (refusal.reason, refusal.requirements) == ("missing", ("toyhost==1.0a27",))


def test_a_range_without_a_hash_is_unpinned_naming_it(lab, tmp_path):
    index, _ = lab
    refusal = refusal_of(lab, tmp_path, [
        f"toyhost-export==0.3a1 --hash={wheel_digest(index, 'toyhost_export-0.3a1')}", "toyhost>=1.0a27"])
    assert (refusal.reason, refusal.requirements) == ("unpinned", ("toyhost>=1.0a27",))


def test_an_ordinary_failure_is_no_hash_refusal_and_its_error_line_is_kept(lab):
    _, sandbox = lab
    refused = sandbox.pip("install --dry-run toyhost==9.9")
    assert hash_refusal(refused.output) is None
    assert last_error(refused.output) == "No matching distribution found for toyhost==9.9"


def test_pip_checks_broken_promise_is_read_and_a_healthy_environment_has_none(lab):
    index, _ = lab
    with Sandbox(index) as sandbox:  # its own: it breaks the environment, which the shared one must not be
        assert broken_promises(sandbox.pip("check").output) == []
        # The broken promise made with uv (0.1 s, pip 0.5 s): what is asserted is pip check's reading of it.
        assert sandbox.uv("pip install --no-deps toyhost-export==0.3a1 toyhost==1.0a28").ok
        assert broken_promises(sandbox.pip("check").output) == [
            "toyhost-export 0.3a1 has requirement toyhost==1.0a27, but you have toyhost 1.0a28."]


def test_uvs_last_sentence_is_whole_even_when_uv_wraps_it(lab):
    _, sandbox = lab
    refused = sandbox.uv("pip install --dry-run toyhost-export==0.3a1 toyhost==1.0a28")
    sentence = last_sentence(refused.output)
    assert sentence.endswith("we can conclude that your requirements are unsatisfiable.")
    assert "you require toyhost==1.0a28" in sentence and "\n" not in sentence
    # uv 0.12 (the lowest pyproject.toml allows) wraps its explanation at 80 columns, indented;
    # uv 0.13 does not. Either way, wrapped as 0.12 does, the sentence spans lines, and reads whole.
    wrapped = "\n".join(textwrap.fill(line, 80, subsequent_indent="      ") for line in refused.output.splitlines())
    assert sentence not in wrapped
    assert last_sentence(wrapped) == sentence
