"""The dependency picture: its model, its text and its SVG (read as XML, never as pixels)."""

from __future__ import annotations

import base64
import json
import xml.etree.ElementTree as ET
from html.parser import HTMLParser

import pytest

from helpers import build, write_project
from pinlab import Sandbox
from pinlab.cli import main
from pinlab.conflicts import Conflict, Demand
from pinlab.graph import BLOCKING, BROKEN, CONFLICT, OK, Edge, Node, conflict_graph, draw, sandbox_graph
from pinlab.toys import examples_dir
from test_conflicts import PIP_26, UV_013, conflict_in

ADVISORIES = examples_dir() / "advisories"

SVG = "{http://www.w3.org/2000/svg}"
RED = "#c62828"


def svg_tree(graph):
    return ET.fromstring(graph.svg())


def drawn_edges(graph):
    """(source, target, status, label, colour) of every edge as drawn in the SVG."""
    found = []
    for group in svg_tree(graph).iter(f"{SVG}g"):
        classes = group.get("class", "").split()
        if classes[:1] == ["edge"]:
            line = group.find(f"{SVG}line")
            label = " ".join(text.text for text in group.iter(f"{SVG}text"))
            found.append((group.get("data-source"), group.get("data-target"), classes[1], label, line.get("stroke")))
    return sorted(found)


def drawn_nodes(graph):
    """name -> (texts, highlighted, y) of every node as drawn in the SVG."""
    found = {}
    for group in svg_tree(graph).iter(f"{SVG}g"):
        if group.get("class", "").startswith("node"):
            texts = [text.text for text in group.iter(f"{SVG}text")]
            found[group.get("data-name")] = (texts, "highlighted" in group.get("class"),
                                             int(group.find(f"{SVG}rect").get("y")))
    return found


# -- a failed resolution ---------------------------------------------------------------------


def test_pip_conflict_model():
    graph = conflict_graph(conflict_in(PIP_26))
    assert graph.title == "pip cannot install this set: the demands on toyhost conflict"
    assert graph.nodes == (
        Node("toyhost", "", "no release satisfies all demands"),
        Node("toyhost-charts", "0.1"),
        Node("toyhost-export", "0.3a1"),
    )
    assert graph.edges == (
        Edge("toyhost-charts", "toyhost", ">=1.0a28", CONFLICT),
        Edge("toyhost-export", "toyhost", "==1.0a27", CONFLICT),
    )
    assert graph.highlighted == graph.edges


def test_pip_conflict_as_text():
    assert str(conflict_graph(conflict_in(PIP_26))) == """\
pip cannot install this set: the demands on toyhost conflict
toyhost-charts 0.1
  -> toyhost >=1.0a28  [conflict]
toyhost-export 0.3a1
  -> toyhost ==1.0a27  [conflict]
toyhost  (no release satisfies all demands)"""


def test_pip_conflict_svg_draws_both_demands_red_into_the_contested_host():
    graph = conflict_graph(conflict_in(PIP_26))
    assert drawn_edges(graph) == [
        ("toyhost-charts", "toyhost", "conflict", ">=1.0a28", RED),
        ("toyhost-export", "toyhost", "conflict", "==1.0a27", RED),
    ]
    nodes = drawn_nodes(graph)
    assert nodes["toyhost"][:2] == (["toyhost", "no release satisfies all demands"], True)
    assert nodes["toyhost-export"][:2] == (["toyhost-export", "0.3a1"], False)
    # The plugins sit above the host they require.
    assert nodes["toyhost-export"][2] == nodes["toyhost-charts"][2] < nodes["toyhost"][2]
    assert svg_tree(graph).find(f"{SVG}title").text == graph.title


def test_uv_conflict_keeps_its_range_and_escapes_it():
    graph = conflict_graph(conflict_in(UV_013))
    assert graph.node("toyhost-export") == Node("toyhost-export", "<=0.3a1")
    assert "&lt;=0.3a1" in graph.svg()  # a bare "<" would make the SVG unreadable
    assert drawn_nodes(graph)["toyhost-export"][0] == ["toyhost-export", "<=0.3a1"]
    assert [edge[:4] for edge in drawn_edges(graph)] == [
        ("toyhost-charts", "toyhost", "conflict", ">=1.0a28"),
        ("toyhost-export", "toyhost", "conflict", "==1.0a27"),
    ]


def test_a_request_of_yours_is_drawn_from_you():
    # pip: "The user requested toyhost==1.0a28" / "toyhost-export 0.3a1 depends on toyhost==1.0a27"
    conflict = Conflict("pip", (Demand("toyhost-export", "0.3a1", "toyhost==1.0a27"),), "")
    assert conflict_graph(conflict).highlighted == ()  # one demand alone conflicts with nothing
    graph = conflict_graph(conflict, requested=["toyhost==1.0a28"])
    assert graph.edges == (
        Edge("(you)", "toyhost", "==1.0a28", CONFLICT),
        Edge("toyhost-export", "toyhost", "==1.0a27", CONFLICT),
    )
    assert graph.node("(you)") == Node("(you)")


def test_the_picture_does_not_depend_on_the_order_of_the_demands():
    conflict = conflict_in(PIP_26)
    reordered = Conflict(conflict.installer, tuple(reversed(conflict.demands)), conflict.raw)
    assert conflict_graph(reordered).svg() == conflict_graph(conflict).svg()
    assert conflict_graph(reordered) == conflict_graph(conflict)


def test_a_chain_is_drawn_in_layers_and_a_cycle_ends():
    chain = Conflict("pip", (
        Demand("toyapp", "1.0", "toyhost-export==0.3a1"),
        Demand("toyhost-export", "0.3a1", "toyhost==1.0a27"),
        Demand("toyhost-charts", "0.1", "toyhost>=1.0a28"),
    ), "")
    nodes = drawn_nodes(conflict_graph(chain))
    assert nodes["toyapp"][2] < nodes["toyhost-export"][2] < nodes["toyhost"][2]
    cycle = Conflict("pip", (Demand("a", "1", "b>=1"), Demand("b", "1", "a>=1")), "")
    # Layering starts at "a", so the cycle is cut at the edge that closes it (a -> b): b is on top.
    assert str(conflict_graph(cycle)).splitlines()[1:] == ["b 1", "  -> a >=1", "a 1", "  -> b >=1"]


def test_labels_keep_extras_and_markers():
    conflict = Conflict("pip", (Demand("toyhost-export", "0.3a1", 'toyhost[html]>=1.0a27; python_version >= "3.8"'),), "")
    assert conflict_graph(conflict).edges[0].label == '[html]>=1.0a27; python_version >= "3.8"'
    assert Edge("a", "b", "").label == "any version"


def test_given_the_releases_a_conflict_shows_that_no_release_is_in_both_sets():
    releases = ["toyhost 1.0a27", "toyhost 1.0a28", "toyhost 2.0.dev1", "toyhost-charts 0.1", "toyhost not-a-version"]
    graph = conflict_graph(conflict_in(PIP_26), releases=releases)
    assert graph.node("toyhost") == Node("toyhost", "", "no release satisfies all demands", ("1.0a27", "1.0a28", "2.0.dev1"))
    assert graph.edges == (
        Edge("toyhost-charts", "toyhost", ">=1.0a28", CONFLICT, "admits 1.0a28, 2.0.dev1"),
        Edge("toyhost-export", "toyhost", "==1.0a27", CONFLICT, "admits 1.0a27"),
    )
    assert str(graph).splitlines()[-1] == "toyhost  releases 1.0a27, 1.0a28, 2.0.dev1  (no release satisfies all demands)"
    nodes = drawn_nodes(graph)
    assert nodes["toyhost"][:2] == (["toyhost", "releases 1.0a27, 1.0a28, 2.0.dev1", "no release satisfies all demands"], True)
    assert [edge[3] for edge in drawn_edges(graph)] == [">=1.0a28 (admits 1.0a28, 2.0.dev1)", "==1.0a27 (admits 1.0a27)"]
    # The box grows by a line for the third line of text, and the legend moves down with it.
    tree = svg_tree(graph)
    host_box = next(g for g in tree.iter(f"{SVG}g") if g.get("data-name") == "toyhost").find(f"{SVG}rect")
    assert host_box.get("height") == "61"
    assert int(tree.get("height")) == int(svg_tree(conflict_graph(conflict_in(PIP_26))).get("height")) + 17


def test_a_demand_that_admits_no_release_says_so(toys_index):
    conflict = Conflict("pip", (Demand("toyhost-export", "0.3a1", "toyhost==1.0a27"),), "")
    graph = conflict_graph(conflict, requested=["toyhost==9.9"], releases=toys_index)  # a LocalIndex
    assert graph.edges[0] == Edge("(you)", "toyhost", "==9.9", CONFLICT, "admits no release")
    assert graph.node("toyhost").releases == tuple(r.split(" ")[1] for r in toys_index.releases() if r.startswith("toyhost "))
    assert {"1.0a27", "1.0a28"} <= set(graph.node("toyhost").releases)


class _Images(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.images: list[dict[str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "img":
            self.images.append(dict(attrs))


def test_the_picture_is_an_image_whose_alt_text_says_what_it_shows():
    graph = conflict_graph(conflict_in(PIP_26), releases=["toyhost 1.0a27", "toyhost 1.0a28"])
    assert graph.description == (
        "pip cannot install this set: the demands on toyhost conflict. "
        "toyhost-charts 0.1 requires toyhost >=1.0a28 (conflict: admits 1.0a28). "
        "toyhost-export 0.3a1 requires toyhost ==1.0a27 (conflict: admits 1.0a27). "
        "toyhost (releases 1.0a27, 1.0a28): no release satisfies all demands."
    )
    # One <img>: MyST-NB and JupyterLab show HTML before SVG, and an HTML image keeps its alt text.
    parser = _Images()
    parser.feed(graph._repr_html_())
    (image,) = parser.images
    assert image["alt"] == graph.description
    prefix = "data:image/svg+xml;base64,"
    src = image["src"]
    assert src is not None and src.startswith(prefix)
    assert base64.b64decode(src[len(prefix):]).decode("utf-8") == graph.svg()
    assert svg_tree(graph).find(f"{SVG}desc").text == graph.description
    assert not hasattr(graph, "_repr_svg_")  # else notebooks would store the picture twice


def test_the_description_escapes_nothing_but_the_image_escapes_it():
    graph = conflict_graph(conflict_in(UV_013))
    assert "toyhost-export <=0.3a1 requires toyhost ==1.0a27 (conflict)." in graph.description
    assert 'alt="uv cannot install' in graph._repr_html_() and "&lt;=0.3a1" in graph._repr_html_()
    you = conflict_graph(Conflict("pip", (Demand("toyhost-export", "0.3a1", "toyhost==1.0a27"),), ""),
                         requested=["toyhost==1.0a28"])
    assert you.description.split(". ")[1] == "you ask for toyhost ==1.0a28 (conflict)"


# -- a sandbox -------------------------------------------------------------------------------


def test_a_pin_that_keeps_the_fix_out_is_blocking(toys_index):
    with Sandbox(toys_index) as sandbox:
        # The setup installs run with uv (0.1 s each, pip 1 s): what is drawn is asserted, not the installer.
        assert sandbox.uv("pip install toyhost-export==0.3a1").ok
        graph = sandbox_graph(sandbox, wanted=["toyhost==1.0a28"])
        assert graph.nodes == (Node("toyhost", "1.0a27"), Node("toyhost-export", "0.3a1"))
        assert graph.edges == (Edge("toyhost-export", "toyhost", "==1.0a27", BLOCKING, "keeps out 1.0a28"),)
        assert str(graph) == """\
installed in the sandbox: 1 requirement highlighted
toyhost-export 0.3a1
  -> toyhost ==1.0a27  [blocking: keeps out 1.0a28]
toyhost 1.0a27"""
        assert drawn_edges(graph) == [("toyhost-export", "toyhost", "blocking", "==1.0a27 (keeps out 1.0a28)", "#e65100")]
        assert graph.description == (
            "installed in the sandbox: 1 requirement highlighted. "
            "toyhost-export 0.3a1 requires toyhost ==1.0a27 (blocking: keeps out 1.0a28). toyhost 1.0a27."
        )
        # By default the newest release in the sandbox's index is the one wanted: here toyhost 2.0.
        assert draw(sandbox).edges[0].note == "keeps out 2.0"

        # Forcing the fix in breaks the plugin's promise: the edge turns red and dashed.
        assert sandbox.uv("pip install toyhost==1.0a28").ok
        graph = draw(sandbox, wanted=["toyhost==1.0a28"])
        assert graph.edges == (Edge("toyhost-export", "toyhost", "==1.0a27", BROKEN, "1.0a28 is installed"),)
        assert "toyhost-export 0.3a1 requires toyhost ==1.0a27 (broken: 1.0a28 is installed)." in graph.description
        assert 'stroke-dasharray="7 4"' in graph.svg()

        # With the host gone, the requirement points at a project that is not there.
        assert sandbox.uv("pip uninstall toyhost").ok
        graph = draw(sandbox)
        assert graph.node("toyhost") == Node("toyhost", "", "not installed")
        assert graph.edges == (Edge("toyhost-export", "toyhost", "==1.0a27", BROKEN, "not installed"),)


def test_the_fixed_set_has_nothing_highlighted(toys_index):
    with Sandbox(toys_index) as sandbox:
        assert sandbox.uv("pip install toyhost-export==0.3a2 toyhost-charts").ok
        graph = draw(sandbox, wanted=["toyhost==1.0a28"])
        assert graph.title == "installed in the sandbox: every requirement satisfied"
        assert graph.highlighted == ()
        assert graph.edges == (
            Edge("toyhost-charts", "toyhost", ">=1.0a28", OK),
            Edge("toyhost-export", "toyhost", ">=1.0a27", OK),
        )
        assert [edge[2:] for edge in drawn_edges(graph)] == [("ok", ">=1.0a28", "#5f6368"), ("ok", ">=1.0a27", "#5f6368")]


def test_draw_a_failed_install(toys_index):
    with Sandbox(toys_index) as sandbox:
        attempt = sandbox.pip("install toyhost-export==0.3a1 toyhost-charts")
        assert draw(attempt) == conflict_graph(conflict_in(attempt.output))
        with pytest.raises(ValueError) as error:
            draw(sandbox.pip("install toyhost==1.0a28"))
        assert str(error.value) == "'$ pip install toyhost==1.0a28' reported no resolver conflict; draw the sandbox instead"


def test_draw_refuses_what_it_cannot_draw(toys_index):
    with pytest.raises(TypeError) as error:
        draw("toyhost==1.0a27")  # type: ignore[arg-type]  # the wrong type on purpose: draw() must refuse it
    assert str(error.value) == "draw() takes a Conflict, an install's outcome or a Sandbox, not str"
    with Sandbox(toys_index) as sandbox, pytest.raises(ValueError) as refused:
        sandbox_graph(sandbox, wanted=["toyhost>=1.0a28"])
    assert str(refused.value) == "wanted release 'toyhost>=1.0a28' must name one version, like 'toyhost==1.0a28'"


def test_unknown_node():
    with pytest.raises(KeyError) as error:
        conflict_graph(conflict_in(PIP_26)).node("toyhost-export-database")
    assert error.value.args[0] == "no node 'toyhost-export-database' in this graph; it has toyhost, toyhost-charts, toyhost-export"


def test_the_picture_and_explain_name_the_same_pin_behind_an_extra(toys_index, tmp_path, capsys):
    # A plugin whose pin sits behind an extra, and an app that installs the plugin with that extra.
    links = tmp_path / "links"
    plugin = write_project(tmp_path / "plugin", "toy-plugin", "1.0", ["toyhost>=1.0a27"], {"pin": ["toyhost==1.0a27"]})
    app = write_project(tmp_path / "app", "toy-app", "2.0", ["toy-plugin[pin]>=1.0"])
    for project in (plugin, app):
        links.mkdir(exist_ok=True)
        wheel = build(project, project / "dist")
        (links / wheel.name).write_bytes(wheel.read_bytes())
    with Sandbox(toys_index) as sandbox:
        # Installed with uv (0.1 s, pip 0.5 s): the picture and explain read the environment, whoever made it.
        # Both folders as file: URLs (uv splits --find-links at commas; the given one replaces the sandbox's own).
        assert sandbox.uv("pip install --find-links", links.as_uri(), "--find-links", toys_index.path.as_uri(),
                          "toy-app").ok
        assert sandbox.installed() == {"toy-app": "2.0", "toy-plugin": "1.0", "toyhost": "1.0a27"}

        graph = draw(sandbox, wanted=["toyhost==1.0a28"])
        assert str(graph) == """\
installed in the sandbox: 1 requirement highlighted
toy-app 2.0
  -> toy-plugin [pin]>=1.0
toy-plugin 1.0
  -> toyhost ==1.0a27; extra == "pin"  [blocking: keeps out 1.0a28]
  -> toyhost >=1.0a27
toyhost 1.0a27"""

        # explain blames the same requirement, reached through the same extra.
        assert main(["explain", "--format", "json", "--python", str(sandbox.python),
                     "--advisories", str(ADVISORIES)]) == 1
        (verdict,) = json.loads(capsys.readouterr().out)["vulnerable"]
        assert (verdict["verdict"], verdict["blockers"]) == ("blocked", [
            {"distribution": "toy-plugin 1.0", "requirement": "toyhost==1.0a27; extra == 'pin'",  # as hatchling wrote it
             "path": ["toy-app 2.0", "toy-plugin 1.0"], "way_out": None}])
