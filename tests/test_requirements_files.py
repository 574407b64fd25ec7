"""The one reader of requirements files: a learner's requirements, a hashed lock, the stick's list."""

import pytest

from pinlab.requirements_files import RequirementsFileError, parse_requirements_file

LOCK = """\
# written by uv export
colorama==0.4.6 ; os_name == 'nt' \\
    --hash=sha256:aaa1 \\
    --hash=sha256:bbb2
    # via pytest
toyhost==1.0a28 --hash=sha256:ccc3  # the fix
"""


def test_a_lock_line_is_joined_over_its_backslashes_with_its_hashes_and_marker():
    lines = parse_requirements_file(LOCK, hashes=True)
    assert [(line.number, str(line.requirement), line.hashes) for line in lines] == [
        (2, 'colorama==0.4.6; os_name == "nt"', ("sha256:aaa1", "sha256:bbb2")),
        (6, "toyhost==1.0a28", ("sha256:ccc3",)),
    ]
    assert lines[0].text == "colorama==0.4.6 ; os_name == 'nt' --hash=sha256:aaa1 --hash=sha256:bbb2"


def test_a_comment_starts_only_at_the_start_of_a_line_or_after_whitespace_as_for_pip():
    assert [str(line.requirement) for line in parse_requirements_file("toyhost>=1.0a28 # the fix\n#x\n")] == [
        "toyhost>=1.0a28"]
    # pip's COMMENT_RE is (^|\s+)#.*$ too: glued to the version, '#' is part of the line, and pip refuses it.
    with pytest.raises(RequirementsFileError, match=r"^line 1: invalid requirement 'toyhost>=1.0a28#x': "):
        parse_requirements_file("toyhost>=1.0a28#x\n")


@pytest.mark.parametrize(("text", "hashes", "message"), [
    ("toyhost\n--override x.txt\n", False, "line 2: '--override': this file takes requirements only"),
    ("-r other.txt\n", True, "line 1: '-r': this file takes requirements and their --hash options only"),
    ("toyhost==1 --no-deps\n", True, "line 1: '--no-deps': a lock line takes --hash options only"),
    ("\n\ntoyhost==1 \\\n --hash=abc\n", True,
     "line 3: 'abc' is not a hash: write --hash=sha256: and the file's 64 hexadecimal digits"),
])
def test_what_is_not_a_requirement_is_refused_naming_its_line(text, hashes, message):
    with pytest.raises(RequirementsFileError) as refused:
        parse_requirements_file(text, hashes=hashes)
    assert str(refused.value) == message


def test_an_exercise_says_it_is_the_exercise_that_takes_requirements_only():
    with pytest.raises(RequirementsFileError, match="'--pre': this exercise takes requirements only"):
        parse_requirements_file("--pre\n", reader="this exercise")
