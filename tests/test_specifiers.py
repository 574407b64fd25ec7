import pytest
from packaging.version import Version

from pinlab.specifiers import SpecifierError, admitted, table

HOST = ["0.9", "1.0a27", "1.0a28", "2.0"]


@pytest.mark.parametrize(("spec", "expected"), [
    ("==1.0a27", ["1.0a27"]),
    (">=1.0a27", ["1.0a27", "1.0a28", "2.0"]),  # names a pre-release, so admits pre-releases
    ("~=1.0a27", ["1.0a27", "1.0a28"]),  # >=1.0a27 and ==1.*
    ("<2", ["0.9"]),  # names no pre-release, and a final release matches
    ("!=1.0a27", ["0.9", "2.0"]),
    ("", ["0.9", "2.0"]),  # a bare requirement
])
def test_what_each_specifier_admits(spec, expected):
    assert admitted(spec, HOST) == [Version(v) for v in expected]


def test_pre_releases_are_admitted_when_they_are_the_only_candidates():
    assert admitted("", ["0.3a1", "0.3a2"]) == [Version("0.3a1"), Version("0.3a2")]
    assert admitted("<2", ["1.0a27", "1.0a28", "2.0"]) == [Version("1.0a27"), Version("1.0a28")]


def test_pre_option_admits_every_pre_release():
    assert admitted("<2", HOST, prereleases=True) == [Version(v) for v in ["0.9", "1.0a27", "1.0a28"]]


def test_table_renders_one_row_per_specifier_and_the_newest_admitted():
    shown = table("toyhost", ["==1.0a27", "<2", ">=3"], reversed(HOST))
    assert str(shown) == "\n".join([
        "What each requirement admits among toyhost's releases, by default (a pre-release only where PEP 440 lets one in):",
        "requirement      0.9  1.0a27  1.0a28  2.0  newest admitted",
        "---------------  ---  ------  ------  ---  ---------------",
        "toyhost==1.0a27  -    yes     -       -    1.0a27",
        "toyhost<2        yes  -       -       -    0.9",
        "toyhost>=3       -    -       -       -    nothing",
    ])
    assert shown.newest() == {"toyhost==1.0a27": "1.0a27", "toyhost<2": "0.9", "toyhost>=3": "nothing"}


def test_a_table_says_how_it_treated_pre_releases():
    # Chapter 2 prints the same table with and without --pre, one under the other: the titles tell them apart.
    by_default = table("toyhost", ["<2"], HOST)
    with_pre = table("toyhost", ["<2"], HOST, prereleases=True)
    assert str(with_pre).splitlines()[0] == "What each requirement admits among toyhost's releases, with --pre (every pre-release):"
    assert str(with_pre).splitlines()[1:] != str(by_default).splitlines()[1:]
    assert str(table("toyhost", ["<2"], HOST, prereleases=False)).splitlines()[0].endswith("with no pre-release:")
    assert str(table("toyhost", ["<2"], HOST, title="")).splitlines()[0].startswith("requirement")


def test_an_invalid_specifier_is_quoted():
    with pytest.raises(SpecifierError) as error:
        admitted("lolwat", HOST)
    assert str(error.value) == "invalid specifier 'lolwat': Invalid specifier: 'lolwat'"


def test_versions_around_are_each_boundary_and_the_next_release_at_each_segment():
    from pinlab.specifiers import versions_around

    assert versions_around([Version("2.2.0"), Version("1.0a28")]) == tuple(map(Version, [
        "1.0a28", "1.0", "1.0.1", "1.1", "2.0", "2.2.0", "2.2.1", "2.3", "3"]))
    # What the probes are for: a fix 2.2.0 under !=2.2.0,<3 is still admitted at 2.2.1.
    assert admitted("!=2.2.0,<3", versions_around([Version("2.2.0"), Version("3")])) == list(map(Version, [
        "2.2.1", "2.3"]))
