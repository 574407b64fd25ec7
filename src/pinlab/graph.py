"""Pictures of dependencies: who requires what, with the requirements that conflict or block highlighted.

A :class:`Graph` is a plain model (frozen :class:`Node` and :class:`Edge` records) drawn as a
small layered SVG by hand. No Graphviz (a workshop laptop has no ``dot``), no JavaScript and no
fonts to download: a notebook shows it as an image whose alt text is the graph in words
(:attr:`Graph.description`), MyST-NB puts that image in the guide, and nbval compares it, so the
drawing is deterministic (sorted input, integer coordinates, no ids). Where no picture can be
shown, the same graph prints as readable text.

Two sources of graphs:

- :func:`conflict_graph`: a failed resolution, from a :class:`~pinlab.conflicts.Conflict`: the
  demands that cannot all hold are drawn as red edges into the project they disagree on;
- :func:`sandbox_graph`: what is installed in a :class:`~pinlab.sandbox.Sandbox`, read from the
  packages' own metadata by the sandbox's interpreter (:mod:`pinlab.environment`); a requirement
  the installed version breaks is red and dashed, one that keeps out a newer release is orange.

:func:`draw` picks the right one for a conflict, a failed install or a sandbox.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol
from xml.sax.saxutils import escape, quoteattr

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from .conflicts import YOU, Conflict, parse_conflict
from .process import Completed

if TYPE_CHECKING:  # pragma: no cover
    from IPython.lib.pretty import RepresentationPrinter  # IPython calls _repr_pretty_; pinlab does not need it

    from .environment import Edge as EnvironmentEdge
    from .environment import Environment
    from .sandbox import Sandbox

OK, CONFLICT, BROKEN, BLOCKING = "ok", "conflict", "broken", "blocking"

#: What each edge status means, as the legend and the text form say it.
MEANING = {
    OK: "satisfied",
    CONFLICT: "conflicting demand",
    BROKEN: "not satisfied by what is installed",
    BLOCKING: "keeps a newer release out",
}


@dataclass(frozen=True)
class Node:
    """One project in the picture."""

    name: str
    """Its canonical name, e.g. ``toyhost-export``; ``(you)`` for the user's own request."""
    version: str = ""
    """The version installed or named by the installer (uv may name a range, ``<=0.3a1``); empty if none."""
    note: str = ""
    """Why the project is highlighted (``no release satisfies all demands``, ``not installed``); empty if it is not."""
    releases: tuple[str, ...] = ()
    """The releases the installer could choose from (``1.0a27``, ``1.0a28``), oldest first, where
    the picture was given them; drawn so that the reader sees which ones each demand admits."""

    @property
    def highlighted(self) -> bool:
        return bool(self.note)

    @property
    def lines(self) -> tuple[str, ...]:
        """The text drawn in the node's box, top to bottom: name, version, releases, note."""
        releases = f"releases {', '.join(self.releases)}" if self.releases else ""
        return tuple(line for line in (self.name, self.version, releases, self.note) if line)

    @property
    def label(self) -> str:
        return f"{self.name} {self.version}".strip()


@dataclass(frozen=True)
class Edge:
    """One requirement: *source* requires *target* with *specifier*."""

    source: str
    """The name of the node that requires."""
    target: str
    """The canonical name of the project required."""
    specifier: str
    """What it accepts, as ``packaging`` writes it (``==1.0a27``, ``>=1.0a28``; extras and markers
    included); empty for any version."""
    status: str = OK
    """``ok``, ``conflict``, ``broken`` or ``blocking`` (see :data:`MEANING`)."""
    note: str = ""
    """A few words on the status, e.g. ``keeps out 1.0a28``."""

    @property
    def highlighted(self) -> bool:
        return self.status != OK

    @property
    def label(self) -> str:
        """The text drawn on the edge: the specifier, or ``any version``."""
        return self.specifier or "any version"


@dataclass(frozen=True)
class Graph:
    """A dependency picture: shows as SVG in JupyterLab and the guide, as text elsewhere."""

    title: str
    """One line above the picture."""
    nodes: tuple[Node, ...]
    """Every project, sorted by name (``(you)`` first)."""
    edges: tuple[Edge, ...]
    """Every requirement, sorted by source, then target."""

    def node(self, name: str) -> Node:
        """The node called *name* (canonicalized)."""
        wanted = name if name == YOU else canonicalize_name(name)
        for node in self.nodes:
            if node.name == wanted:
                return node
        raise KeyError(f"no node {name!r} in this graph; it has {', '.join(n.name for n in self.nodes)}")

    @property
    def highlighted(self) -> tuple[Edge, ...]:
        """The edges drawn in colour: those that conflict, break or block."""
        return tuple(edge for edge in self.edges if edge.highlighted)

    @property
    def description(self) -> str:
        """The picture in words: who requires what, and which requirement conflicts, breaks or blocks.

        It is the picture's alt text in JupyterLab and in the guide, so that a screen reader
        gets the point of the picture and not the name of a file.
        """
        sentences = [self.title]
        for node in _Layout(self).ordered():
            for edge in self.edges:
                if edge.source == node.name:
                    who = "you ask for" if node.name == YOU else f"{node.label} requires"
                    mark = f" ({edge.status}{': ' + edge.note if edge.note else ''})" if edge.highlighted else ""
                    sentences.append(f"{who} {edge.target} {edge.label}{mark}")
            if node.name != YOU and not any(edge.source == node.name for edge in self.edges):
                releases = f" (releases {', '.join(node.releases)})" if node.releases else ""
                sentences.append(node.label + releases + (f": {node.note}" if node.note else ""))
        return ". ".join(sentences) + "."

    def svg(self) -> str:
        """The picture as a standalone SVG document (the same text on every run)."""
        return _Drawing(self).svg()

    def _repr_html_(self) -> str:
        """The picture as an image whose alt text is :attr:`description`.

        Not an ``image/svg+xml`` output: MyST-NB turns that into an ``<img>`` whose alt text is
        its file name, and takes alt text only from cell metadata, which re-running a notebook
        does not write. An HTML ``<img>`` carries its own alt, in JupyterLab and in the guide alike.
        """
        data = base64.b64encode(self.svg().encode("utf-8")).decode("ascii")
        return f'<img src="data:image/svg+xml;base64,{data}" alt={quoteattr(self.description)}>'

    def __str__(self) -> str:
        lines = [self.title]
        for node in _Layout(self).ordered():
            releases = f"  releases {', '.join(node.releases)}" if node.releases else ""
            lines.append(node.label + releases + (f"  ({node.note})" if node.note else ""))
            for edge in self.edges:
                if edge.source == node.name:
                    mark = f"  [{edge.status}{': ' + edge.note if edge.note else ''}]" if edge.highlighted else ""
                    lines.append(f"  -> {edge.target} {edge.label}{mark}")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return str(self)

    def _repr_pretty_(self, printer: RepresentationPrinter, cycle: bool) -> None:
        printer.text(str(self))


# -- building graphs -------------------------------------------------------------------------


def conflict_graph(
    conflict: Conflict, *, requested: Iterable[str] = (), releases: Iterable[str] | HasReleases = (),
    title: str | None = None,
) -> Graph:
    """The picture of a failed resolution: every demand is an edge; demands on a contested project are red.

    *requested* are requirements typed by the user (``toyhost==1.0a28``), drawn from a ``(you)``
    node; pass them when the conflict is between your request and a package's metadata.
    *releases* are what the installer could choose from: a :class:`~pinlab.index.LocalIndex`, or
    ``name version`` lines like its ``releases()``. With them, a contested project shows its
    releases and each demand on it the ones it admits, so that no release in both is seen.
    """
    available = _releases(releases)
    demands = [(demand.project, demand.version, demand.requirement) for demand in conflict.demands]
    demands += [(YOU, "", requirement) for requirement in requested]
    edges = {(source, _name(requirement)): (source, version, requirement) for source, version, requirement in demands}
    incoming: dict[str, int] = {}
    for _source, target in edges:
        incoming[target] = incoming.get(target, 0) + 1
    contested = {target for target, count in incoming.items() if count > 1}

    nodes: dict[str, Node] = {}
    for source, version, _requirement in edges.values():
        nodes.setdefault(source, Node(source, version))
    for target in incoming:
        note = "no release satisfies all demands" if target in contested else ""
        if target not in nodes or note:
            shown = tuple(str(v) for v in available.get(target, ())) if note else ()
            nodes[target] = Node(target, nodes[target].version if target in nodes else "", note, shown)
    graph_edges = [
        Edge(source, target, _specifier(requirement), CONFLICT if target in contested else OK,
             _admits(requirement, available[target]) if target in contested and target in available else "")
        for (source, target), (_s, _v, requirement) in edges.items()
    ]
    if title is None:
        names = " and ".join(sorted(contested)) or "nothing the installer named"
        title = f"{conflict.installer} cannot install this set: the demands on {names} conflict"
    return _graph(title, nodes.values(), graph_edges)


def sandbox_graph(sandbox: Sandbox, *, wanted: Iterable[str] | None = None, title: str | None = None) -> Graph:
    """The picture of what is installed in *sandbox*, from the packages' own metadata.

    A requirement that the installed version does not satisfy is ``broken``. One that excludes a
    *wanted* release (``toyhost==1.0a28``; by default the newest release of each project in the
    sandbox's index) is ``blocking``. Which requirements apply (markers, extras) and which exclude
    a release is what :meth:`~pinlab.environment.Environment.excluding` says, the rule explain uses.
    """
    from .sandbox import SEED_PACKAGES

    environment = sandbox.environment()
    wanted_versions = _wanted(sandbox, wanted)
    nodes = {dist.key: Node(dist.key, dist.version)
             for dist in environment.distributions if dist.key not in SEED_PACKAGES}
    edges = [Edge(missing.source.key, canonicalize_name(missing.requirement.name), _specifier(missing.requirement),
                  BROKEN, "not installed")
             for missing in environment.missing if missing.source.key in nodes]
    for missing in environment.missing:
        target = canonicalize_name(missing.requirement.name)
        nodes.setdefault(target, Node(target, "", "not installed"))
    for edge in environment.edges:
        if edge.source.key in nodes and edge.source.key != edge.target.key:
            edges.append(_installed_edge(environment, edge, wanted_versions))
            nodes.setdefault(edge.target.key, Node(edge.target.key, edge.target.version))  # a seed package
    if title is None:
        count = sum(1 for edge in edges if edge.highlighted)
        trouble = (f"{count} requirement{'s' if count != 1 else ''} highlighted" if count
                   else "every requirement satisfied")
        title = f"installed in the sandbox: {trouble}"
    return _graph(title, nodes.values(), edges)


def draw(thing: Conflict | Completed | Sandbox, **options: Any) -> Graph:
    """A picture of a :class:`Conflict`, a failed install (its output is parsed) or a :class:`Sandbox`."""
    from .sandbox import Sandbox

    if isinstance(thing, Conflict):
        return conflict_graph(thing, **options)
    if isinstance(thing, Sandbox):
        return sandbox_graph(thing, **options)
    if isinstance(thing, Completed):
        conflict = parse_conflict(thing.output)
        if conflict is None:
            raise ValueError(f"'$ {' '.join(thing.command)}' reported no resolver conflict; draw the sandbox instead")
        return conflict_graph(conflict, **options)
    raise TypeError(f"draw() takes a Conflict, an install's outcome or a Sandbox, not {type(thing).__name__}")


class HasReleases(Protocol):
    """Anything that lists releases as ``name version`` lines (a :class:`~pinlab.index.LocalIndex`)."""

    def releases(self) -> list[str]: ...


def _releases(releases: Iterable[str] | HasReleases) -> dict[str, list[Version]]:
    """name -> its releases, oldest first, from ``name version`` lines."""
    lines = releases.releases() if hasattr(releases, "releases") else releases
    found: dict[str, set[Version]] = {}
    for line in lines:
        name, _, text = line.partition(" ")
        try:
            found.setdefault(canonicalize_name(name), set()).add(Version(text))
        except InvalidVersion:
            continue  # a release no installer would choose either
    return {name: sorted(versions) for name, versions in found.items()}


def _admits(requirement: str, releases: list[Version]) -> str:
    """Which of *releases* the requirement accepts, in a few words (``admits 1.0a27``)."""
    admitted = list(Requirement(requirement).specifier.filter(releases, prereleases=True))
    return "admits " + (", ".join(str(v) for v in admitted) or "no release")


def _graph(title: str, nodes: Iterable[Node], edges: Iterable[Edge]) -> Graph:
    def node_order(node: Node) -> tuple[bool, str]:
        return (node.name != YOU, node.name)

    return Graph(
        title,
        tuple(sorted(nodes, key=node_order)),
        tuple(sorted(dict.fromkeys(edges), key=lambda e: (e.source != YOU, e.source, e.target, e.specifier))),
    )


def _name(requirement: str) -> str:
    return canonicalize_name(Requirement(requirement).name)


def _specifier(requirement: str | Requirement) -> str:
    req = requirement if isinstance(requirement, Requirement) else Requirement(requirement)
    text = (f"[{','.join(sorted(req.extras))}]" if req.extras else "") + str(req.specifier)
    return text + (f"; {req.marker}" if req.marker is not None else "")


def _installed_edge(environment: Environment, edge: EnvironmentEdge, wanted: Mapping[str, Version]) -> Edge:
    source, target, specifier = edge.source.key, edge.target.key, _specifier(edge.requirement)
    try:
        installed = Version(edge.target.version)
    except InvalidVersion:
        return Edge(source, target, specifier)  # not PEP 440: no specifier can say whether it holds
    if edge in environment.excluding(target, installed):
        return Edge(source, target, specifier, BROKEN, f"{edge.target.version} is installed")
    newest = wanted.get(target)
    if newest is not None and edge in environment.excluding(target, newest):
        return Edge(source, target, specifier, BLOCKING, f"keeps out {newest}")
    return Edge(source, target, specifier)


def _wanted(sandbox: Sandbox, wanted: Iterable[str] | None) -> dict[str, Version]:
    if wanted is not None:
        pins: dict[str, Version] = {}
        for text in wanted:
            req = Requirement(text)
            versions = [spec.version for spec in req.specifier if spec.operator in ("==", "===")]
            if len(versions) != 1:
                raise ValueError(f"wanted release {text!r} must name one version, like 'toyhost==1.0a28'")
            pins[canonicalize_name(req.name)] = Version(versions[0])
        return pins
    newest: dict[str, Version] = {}
    for line in sandbox.index.releases():
        name, _, text = line.partition(" ")
        try:
            version = Version(text)
        except InvalidVersion:
            continue
        if name not in newest or version > newest[name]:
            newest[name] = version
    return newest


# -- layout ------------------------------------------------------------------------------------

_CHAR = 7.8  # width of one character of 13px monospace, in pixels (0.6 em)
_NODE_HEIGHT = 44  # two lines of text; each line more adds _LINE
_LINE = 17
_NODE_PAD = 14
_H_GAP = 36
_V_GAP = 84
_MARGIN = 20
_TITLE = 30


class _Layout:
    """Layers by longest path from the roots; within a layer, nodes sit under their parents."""

    def __init__(self, graph: Graph) -> None:
        self.graph = graph
        names = [node.name for node in graph.nodes]
        parents: dict[str, list[str]] = {name: [] for name in names}
        for edge in graph.edges:
            parents[edge.target].append(edge.source)
        self.layer: dict[str, int] = {}
        for name in names:
            self._depth(name, parents, set())
        layers: dict[int, list[str]] = {}
        for name in names:
            layers.setdefault(self.layer[name], []).append(name)
        self.rows: list[list[str]] = []
        position: dict[str, float] = {}
        for depth in sorted(layers):
            row = sorted(layers[depth], key=lambda n: (self._barycentre(n, parents, position), n != YOU, n))
            for index, name in enumerate(row):
                position[name] = index / max(len(row) - 1, 1)
            self.rows.append(row)

    def _depth(self, name: str, parents: Mapping[str, list[str]], visiting: set[str]) -> int:
        if name in self.layer:
            return self.layer[name]
        visiting.add(name)
        # A requirement cycle (legal in Python packaging) is cut where it closes.
        above = [self._depth(p, parents, visiting) for p in parents[name] if p not in visiting]
        visiting.discard(name)
        self.layer[name] = 1 + max(above) if above else 0
        return self.layer[name]

    @staticmethod
    def _barycentre(name: str, parents: Mapping[str, list[str]], position: Mapping[str, float]) -> float:
        placed = [position[p] for p in parents[name] if p in position]
        return sum(placed) / len(placed) if placed else 0.0

    def ordered(self) -> list[Node]:
        by_name = {node.name: node for node in self.graph.nodes}
        return [by_name[name] for row in self.rows for name in row]


# -- drawing -----------------------------------------------------------------------------------

_COLOUR = {OK: "#5f6368", CONFLICT: "#c62828", BROKEN: "#c62828", BLOCKING: "#e65100"}
_WIDTH = {OK: 1.5, CONFLICT: 3, BROKEN: 3, BLOCKING: 3}
_DASH = {BROKEN: "7 4"}
_FONT = 'font-family="DejaVu Sans Mono, Menlo, Consolas, monospace" font-size="13"'


def _text_width(text: str) -> int:
    return round(len(text) * _CHAR)


class _Drawing:
    def __init__(self, graph: Graph) -> None:
        self.graph = graph
        self.layout = _Layout(graph)
        self.box: dict[str, tuple[int, int, int, int]] = {}  # name -> x, y, width, height
        widths = {node.name: self._node_width(node) for node in graph.nodes}
        row_widths = [sum(widths[n] for n in row) + _H_GAP * (len(row) - 1) for row in self.layout.rows]
        legend = self._legend_items()
        legend_width = sum(40 + _text_width(MEANING[s]) + 24 for s in legend)
        self.width = 2 * _MARGIN + max([*row_widths, _text_width(graph.title), legend_width, 160])
        by_name = {node.name: node for node in graph.nodes}
        y = _MARGIN + _TITLE
        for row, row_width in zip(self.layout.rows, row_widths, strict=True):
            x = (self.width - row_width) // 2
            for name in row:
                self.box[name] = (x, y, widths[name], self._node_height(by_name[name]))
                x += widths[name] + _H_GAP
            y += max(self.box[name][3] for name in row) + _V_GAP
        self.legend_y = max(y - _V_GAP, _MARGIN + _TITLE + _NODE_HEIGHT) + 28
        self.height = self.legend_y + (24 if legend else 0) + _MARGIN - 10

    @staticmethod
    def _node_width(node: Node) -> int:
        return max(_text_width(line) for line in node.lines) + 2 * _NODE_PAD

    @staticmethod
    def _node_height(node: Node) -> int:
        return _NODE_HEIGHT + _LINE * max(len(node.lines) - 2, 0)

    def _legend_items(self) -> list[str]:
        present = {edge.status for edge in self.graph.edges}
        return [status for status in (OK, CONFLICT, BROKEN, BLOCKING) if status in present]

    def svg(self) -> str:
        parts = [
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{self.width}" height="{self.height}" '
            f'viewBox="0 0 {self.width} {self.height}" role="img" aria-label={quoteattr(self.graph.title)}>',
            f"<title>{escape(self.graph.title)}</title>",
            f"<desc>{escape(self.graph.description)}</desc>",
            # An opaque background keeps the picture readable on a dark theme.
            f'<rect width="{self.width}" height="{self.height}" fill="#ffffff"/>',
            f'<text x="{_MARGIN}" y="{_MARGIN + 14}" {_FONT} font-weight="bold" fill="#202124">'
            f"{escape(self.graph.title)}</text>",
        ]
        ends = self._edge_ends()
        # Plain edges first, so that highlighted ones are drawn on top of them.
        for edge in sorted(self.graph.edges, key=lambda e: e.highlighted):
            parts.append(self._edge(edge, *ends[edge]))
        parts += [self._node(node) for node in self.layout.ordered()]
        parts += self._legend()
        parts.append("</svg>")
        return "\n".join(parts) + "\n"

    def _edge_ends(self) -> dict[Edge, tuple[int, int, int, int]]:
        """Where each edge leaves its source and enters its target, spread so that none overlap."""
        leaving: dict[str, list[Edge]] = {}
        entering: dict[str, list[Edge]] = {}
        for edge in self.graph.edges:
            leaving.setdefault(edge.source, []).append(edge)
            entering.setdefault(edge.target, []).append(edge)
        start: dict[Edge, tuple[int, int]] = {}
        end: dict[Edge, tuple[int, int]] = {}
        for name, out in leaving.items():
            x, y, w, h = self.box[name]
            out.sort(key=lambda e: (self.box[e.target][0], e.target))
            for i, edge in enumerate(out):
                start[edge] = (x + w * (i + 1) // (len(out) + 1), y + h)
        for name, into in entering.items():
            x, y, w, _h = self.box[name]
            into.sort(key=lambda e: (self.box[e.source][0], e.source))
            for i, edge in enumerate(into):
                end[edge] = (x + w * (i + 1) // (len(into) + 1), y)
        return {edge: (*start[edge], *end[edge]) for edge in self.graph.edges}

    def _edge(self, edge: Edge, x1: int, y1: int, x2: int, y2: int) -> str:
        colour, width = _COLOUR[edge.status], _WIDTH[edge.status]
        dash = f' stroke-dasharray="{_DASH[edge.status]}"' if edge.status in _DASH else ""
        # The arrowhead is a plain triangle (no <marker> ids that could clash between pictures on one page).
        length = max(((x2 - x1) ** 2 + (y2 - y1) ** 2) ** 0.5, 1.0)
        ux, uy = (x2 - x1) / length, (y2 - y1) / length
        size = 10 + width
        bx, by = x2 - ux * size, y2 - uy * size
        head = [(x2, y2), (bx - uy * size / 2.2, by + ux * size / 2.2), (bx + uy * size / 2.2, by - ux * size / 2.2)]
        points = " ".join(f"{px:.1f},{py:.1f}" for px, py in head)
        # The note goes on a line of its own, so that the labels of two edges into one node stay apart.
        labels = [edge.label, *([f"({edge.note})"] if edge.note else [])]
        lx, ly = round(x1 + (x2 - x1) * 0.5), round(y1 + (y2 - y1) * 0.5)
        lw = max(_text_width(label) for label in labels) + 8
        lh = 20 + 16 * (len(labels) - 1)
        bold = ' font-weight="bold"' if edge.highlighted else ""
        title = f"{edge.source} requires {edge.target} {edge.label}: {MEANING[edge.status]}"
        return "\n".join([
            f'<g class="edge {edge.status}" data-source={quoteattr(edge.source)} data-target={quoteattr(edge.target)}>',
            f"<title>{escape(title)}</title>",
            f'<line x1="{x1}" y1="{y1}" x2="{bx:.1f}" y2="{by:.1f}" stroke="{colour}" stroke-width="{width}"{dash}/>',
            f'<polygon points="{points}" fill="{colour}"/>',
            f'<rect x="{lx - lw // 2}" y="{ly - lh // 2}" width="{lw}" height="{lh}" rx="4" fill="#ffffff" '
            f'stroke="{colour}" stroke-width="{1 if edge.highlighted else 0}"/>',
            *(f'<text x="{lx}" y="{ly - lh // 2 + 14 + 16 * i}" text-anchor="middle" {_FONT} fill="{colour}"{bold}>'
              f"{escape(label)}</text>" for i, label in enumerate(labels)),
            "</g>",
        ])

    def _node(self, node: Node) -> str:
        x, y, w, h = self.box[node.name]
        stroke, fill = ("#c62828", "#fdecea") if node.highlighted else ("#5f6368", "#f1f3f4")
        name, *rest = node.lines
        cx = x + w // 2
        texts = [f'<text x="{cx}" y="{y + (18 if rest else 27)}" text-anchor="middle" {_FONT} font-weight="bold" '
                 f'fill="#202124">{escape(name)}</text>']
        for i, line in enumerate(rest, start=1):
            colour = "#c62828" if line == node.note else "#3c4043"
            texts.append(f'<text x="{cx}" y="{y + 18 + _LINE * i}" text-anchor="middle" {_FONT} fill="{colour}">'
                         f"{escape(line)}</text>")
        return "\n".join([
            f'<g class="node{" highlighted" if node.highlighted else ""}" data-name={quoteattr(node.name)}>',
            f'<rect x="{x}" y="{y}" width="{w}" height="{h}" rx="6" fill="{fill}" stroke="{stroke}" '
            f'stroke-width="{2 if node.highlighted else 1}"/>',
            *texts,
            "</g>",
        ])

    def _legend(self) -> list[str]:
        parts = []
        x, y = _MARGIN, self.legend_y
        for status in self._legend_items():
            colour, width = _COLOUR[status], _WIDTH[status]
            dash = f' stroke-dasharray="{_DASH[status]}"' if status in _DASH else ""
            parts.append(
                f'<g class="legend {status}"><line x1="{x}" y1="{y}" x2="{x + 30}" y2="{y}" stroke="{colour}" '
                f'stroke-width="{width}"{dash}/><text x="{x + 38}" y="{y + 4}" {_FONT} fill="#3c4043">'
                f"{escape(MEANING[status])}</text></g>"
            )
            x += 40 + _text_width(MEANING[status]) + 24
        return parts
