"""The resolver-text parser, against the wording of several pip and uv releases."""

from pinlab.conflicts import Conflict, parse_conflict


def conflict_in(text: str) -> Conflict:
    """The conflict *text* reports; the test fails here, saying so, if it reports none."""
    conflict = parse_conflict(text)
    assert conflict is not None, f"no resolver conflict found in:\n{text}"
    return conflict


PIP_26 = """\
ERROR: Cannot install toyhost-charts==0.1 and toyhost-export==0.3a1 because these package versions have conflicting dependencies.

The conflict is caused by:
    toyhost-export 0.3a1 depends on toyhost==1.0a27
    toyhost-charts 0.1 depends on toyhost>=1.0a28

Additionally, some packages in these conflicts have no matching distributions available for your environment:
    toyhost

To fix this you could try to:
1. loosen the range of package versions you've specified
2. remove package versions to allow pip to attempt to solve the dependency conflict

ERROR: ResolutionImpossible: for help visit https://pip.pypa.io/en/latest/topics/dependency-resolution/#dealing-with-dependency-conflicts
"""

# pip 23.x: no "Additionally" note, "To fix this you could try to:" with the same causes.
PIP_23 = """\
ERROR: Cannot install toyhost-charts==0.1 and toyhost-export==0.3a1 because these package versions have conflicting dependencies.

The conflict is caused by:
    toyhost-export 0.3a1 depends on toyhost==1.0a27
    toyhost-charts 0.1 depends on toyhost>=1.0a28

To fix this you could try to:
1. loosen the range of package versions you've specified
2. remove package versions to allow pip attempt to solve the dependency conflict

ERROR: ResolutionImpossible: for help visit https://pip.pypa.io/en/latest/topics/dependency-resolution/#dealing-with-dependency-conflicts
"""

UV_013 = """\
error: No solution found when resolving dependencies
  cause: Because all versions of toyhost-charts depend on toyhost>=1.0a28 and toyhost-export<=0.3a1 depends on toyhost==1.0a27, we can conclude that all versions of toyhost-charts and toyhost-export<=0.3a1 are incompatible.
         And because you require toyhost-export==0.3a1 and toyhost-charts, we can conclude that your requirements are unsatisfiable.
"""

# uv 0.4: "×" bullet and "only ... is available" phrasing for single versions.
UV_04 = """\
  × No solution found when resolving dependencies:
  ╰─▶ Because toyhost-charts==0.1 depends on toyhost>=1.0a28 and toyhost-export==0.3a1 depends on toyhost==1.0a27, we can conclude that toyhost-charts==0.1 and toyhost-export==0.3a1 are incompatible.
      And because you require toyhost-charts==0.1 and toyhost-export==0.3a1, we can conclude that your requirements are unsatisfiable.
"""


def test_pip_26():
    conflict = conflict_in(PIP_26)
    assert conflict.installer == "pip"
    assert [str(d) for d in conflict.demands] == [
        "toyhost-export 0.3a1 requires toyhost==1.0a27",
        "toyhost-charts 0.1 requires toyhost>=1.0a28",
    ]
    assert conflict.contested == ("toyhost",)
    assert conflict.raw == PIP_26


def test_pip_23_without_the_additionally_note():
    assert conflict_in(PIP_23).demands == conflict_in(PIP_26).demands


def test_uv_013():
    conflict = conflict_in(UV_013)
    assert conflict.installer == "uv"
    assert [str(d) for d in conflict.demands] == [
        "toyhost-charts (any version) requires toyhost>=1.0a28",
        "toyhost-export <=0.3a1 requires toyhost==1.0a27",
    ]
    assert conflict.contested == ("toyhost",)


def test_uv_04():
    conflict = conflict_in(UV_04)
    assert [str(d) for d in conflict.demands] == [
        "toyhost-charts 0.1 requires toyhost>=1.0a28",
        "toyhost-export 0.3a1 requires toyhost==1.0a27",
    ]


def test_success_is_no_conflict():
    assert parse_conflict("Successfully installed toyhost-1.0a28") is None


PIP_USER_REQUEST = """\
ERROR: Cannot install toyhost-export==0.3a1 and toyhost==1.0a28 because these package versions have conflicting dependencies.

The conflict is caused by:
    The user requested toyhost==1.0a28
    toyhost-export 0.3a1 depends on toyhost==1.0a27
    The user requested (constraint) toyhost>=1.0a28

ERROR: ResolutionImpossible: for help visit https://pip.pypa.io/en/latest/topics/dependency-resolution/#dealing-with-dependency-conflicts
"""


def test_pip_names_your_own_request_and_constraint_as_demands():
    conflict = conflict_in(PIP_USER_REQUEST)
    assert [str(d) for d in conflict.demands] == [
        "you requested toyhost==1.0a28",
        "toyhost-export 0.3a1 requires toyhost==1.0a27",
        "your constraint says toyhost>=1.0a28",
    ]
    assert conflict.contested == ("toyhost",)


PIP_RANGE = """\
ERROR: Cannot install toyhost-share==0.1 and toyhost==2.0 because these package versions have conflicting dependencies.

The conflict is caused by:
    The user requested toyhost==2.0
    toyhost-share 0.1 depends on toyhost<2.0 and >=1.0a28

ERROR: ResolutionImpossible: for help visit https://pip.pypa.io/en/latest/topics/dependency-resolution/#dealing-with-dependency-conflicts
"""


def test_pip_words_a_range_with_and_and_it_is_read_as_one_requirement():
    conflict = conflict_in(PIP_RANGE)
    assert [str(d) for d in conflict.demands] == [
        "you requested toyhost==2.0",
        "toyhost-share 0.1 requires toyhost<2.0,>=1.0a28",
    ]
    assert conflict.contested == ("toyhost",)
