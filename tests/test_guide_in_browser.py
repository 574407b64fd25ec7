"""The built guide, read in a real browser: headless Chromium driven by Playwright.

Needs the guide built into ``_build/html`` (``nox -s book``; ``.ci/run`` builds it before the
tests) and a system Chromium (Debian: ``apt-get install chromium``; Playwright's own browser
download is never used). Without either, the tests skip and say why, except under CI
(``CI`` set), where a missing prerequisite is a failure: CI must not pass by skipping.

The guide is served from 127.0.0.1 by a stdlib HTTP server; every request to any other host
(or port) is refused and reported, so the guide is also shown to work offline. Each page is
loaded once per width and shared by the checks that only read it.
"""

from __future__ import annotations

import base64
import os
import re
import shutil
import socket
import tempfile
import threading
from functools import partial
from html.parser import HTMLParser
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urldefrag, urlsplit

import pytest

if TYPE_CHECKING:  # imported in the fixture, so that a missing Playwright is a skip, not an error
    from playwright.sync_api import BrowserContext, ConsoleMessage

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[1]
BOOK = ROOT / "book"
HTML = ROOT / "_build" / "html"
CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]


def chapters() -> list[str]:
    """The guide's pages, named as Sphinx names them (``index``, ``01-the-conflict``)."""
    sources = [p for p in BOOK.rglob("*") if p.suffix in {".ipynb", ".md"} and ".ipynb_checkpoints" not in p.parts]
    return sorted(p.relative_to(BOOK).with_suffix("").as_posix() for p in sources)


def find_chromium() -> str | None:
    for candidate in ("/usr/bin/chromium", shutil.which("chromium"), shutil.which("chromium-browser")):
        if candidate and Path(candidate).exists():
            return candidate
    return None


def missing(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (under CI this is a failure, not a skip)")
    pytest.skip(reason)


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the stdlib's name
        pass  # one line per request would bury pytest's output


@pytest.fixture(scope="module")
def guide():
    """The base URL of the built guide, served on 127.0.0.1 for the module's tests."""
    if not (HTML / "index.html").is_file():
        missing(f"the guide is not built: no {HTML / 'index.html'} (run `nox -s book` first)")
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(_QuietHandler, directory=str(HTML)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.fixture(scope="module")
def playwright():
    """Playwright, started once for the module's browser and HTTP client."""
    chromium = find_chromium()
    if chromium is None:
        missing("no Chromium found at /usr/bin/chromium or on PATH (Debian: apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        missing("Playwright is not installed (dependency group 'browser': uv sync --group browser)")
    with sync_playwright() as started:
        yield started


@pytest.fixture(scope="module")
def guide_files(playwright):
    """An HTTP client for the guide's files, outside the browser (and its proxy): for the links and
    pictures a page names."""
    client = playwright.request.new_context()
    yield client
    client.dispose()


@pytest.fixture(scope="module")
def browser(guide, playwright, tmp_path_factory):
    """A headless Chromium with a fresh profile that can reach nothing but the guide's server."""
    # Chromium keeps a Unix socket in its TMPDIR, and such a path is at most ~107 bytes: under a
    # deep TMPDIR (macOS's, or nox's in a deep checkout) it dies at launch ("Socket path too long").
    short_temp = Path(tempfile.mkdtemp(prefix="chromium-", dir="/tmp" if Path("/tmp").is_dir() else None))
    # Every request but the guide's goes to a "proxy" at a port held here and never listened on, so
    # Chromium refuses it (each page reports it: see Visit). A proxy rather than Playwright's request
    # interception, which turns the browser's cache off and costs each page load 0.2 s of round trips.
    # "<-loopback>" undoes Chromium's own exemption of 127.0.0.1: only the guide's port goes direct.
    nowhere = socket.socket()
    nowhere.bind(("127.0.0.1", 0))
    proxy = {"server": f"http://127.0.0.1:{nowhere.getsockname()[1]}", "bypass": f"<-loopback>,{urlsplit(guide).netloc}"}
    with nowhere:
        context = playwright.chromium.launch_persistent_context(
            tmp_path_factory.mktemp("chromium-profile"), executable_path=find_chromium(), headless=True, args=CHROMIUM_FLAGS,
            env={**os.environ, "TMPDIR": str(short_temp)}, proxy=proxy,
        )
        try:
            yield context
        finally:
            context.close()
            shutil.rmtree(short_temp, ignore_errors=True)


class Visit:
    """One page opened in the browser, with everything that went wrong while it loaded."""

    def __init__(self, context: BrowserContext, url: str, width: int = 1280) -> None:
        self.page = context.new_page()
        self.page.set_viewport_size({"width": width, "height": 900})
        self.problems: list[str] = []
        self.outside: list[str] = []
        """What this page asked for outside the guide's server (refused)."""
        self.page.on("pageerror", lambda e: self.problems.append(f"uncaught JavaScript error: {e}"))
        self.page.on("response", lambda r: self.problems.append(f"HTTP {r.status}: {r.url}") if r.status >= 400 else None)
        self.page.on("requestfailed", lambda r: self.problems.append(f"request failed: {r.url} ({r.failure})"))
        # Refused by the browser's proxy (see `browser`); a guide that needs the internet is no use
        # in a workshop with bad Wi-Fi.
        guide = urlsplit(url)._replace(path="/", query="", fragment="").geturl()
        self.page.on("request", lambda r: None if r.url.startswith(guide) else self.outside.append(r.url))

        def console(message: ConsoleMessage) -> None:
            if message.type == "error":
                self.problems.append(f"console error: {message.text}")

        self.page.on("console", console)
        self.page.goto(url, wait_until="load")

    def state(self) -> list[object]:
        """What a reader could change on the page by clicking: its address, its width, which
        collapsed parts and dialogs (the sidebar below 992 px) are open, which boxes are ticked."""
        return self.page.evaluate("""() => [location.href, innerWidth,
            Array.from(document.querySelectorAll("details, dialog"), d => d.open),
            document.querySelectorAll("input:checked").length]""")

    def close(self) -> None:
        self.page.close()


@pytest.fixture(scope="module")
def _opened(browser):
    """Every page asked for by `shown`, each opened once per width and kept open for the module
    (they close with the browser, all at once)."""
    opened: dict[tuple[str, int], tuple[Visit, list[object]]] = {}
    return opened


@pytest.fixture
def shown(_opened, browser, guide):
    """``shown(chapter, width)``: the chapter's page, loaded once for the module and shared by
    the checks that only read it (a page load is most of what a check costs). A check that leaves
    a page changed (a part opened, the sidebar shown) fails here, since the next check would see
    it; a check that changes a page must open its own `Visit`, or put the page back as it was."""
    used: list[tuple[str, int]] = []

    def page(chapter: str, width: int = 1280) -> Visit:
        if (chapter, width) not in _opened:
            visit = Visit(browser, f"{guide}{chapter}.html", width)
            _opened[chapter, width] = (visit, visit.state())
        used.append((chapter, width))
        visit = _opened[chapter, width][0]
        # A page behind others gets no animation frames, and a click waits for two (2 s each, else).
        visit.page.bring_to_front()
        return visit

    yield page
    changed = []
    for key in dict.fromkeys(used):
        visit, before = _opened[key]
        if visit.state() != before:
            changed.append(f"{key[0]}.html at {key[1]} px")
            del _opened[key]  # the next check gets a fresh one
            visit.close()
    assert not changed, f"the test changed the shared page {', '.join(changed)}: it must open its own Visit"


class _Ids(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.ids: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.ids.update(value for name, value in attrs if name in ("id", "name") and value)


def ids_of(html: str) -> set[str]:
    parser = _Ids()
    parser.feed(html)
    return parser.ids


def test_the_guide_has_chapters():
    assert "index" in chapters() and "01-the-conflict" in chapters()


@pytest.fixture(scope="module")
def fetched(guide_files):
    """``fetched(address)``: the HTTP status of a page of the guide and the ids on it, fetched once
    for the module (every chapter links to every other through the sidebar)."""
    pages: dict[str, tuple[int, set[str]]] = {}

    def fetch(address: str) -> tuple[int, set[str]]:
        if address not in pages:
            response = guide_files.get(address)
            html = response.text() if response.ok and address.endswith((".html", "/")) else ""
            pages[address] = (response.status, ids_of(html))
        return pages[address]

    return fetch


@pytest.mark.parametrize("chapter", chapters())
def test_page_loads_cleanly(browser, guide, shown, fetched, chapter):
    """No console error, no broken image, no broken internal link, nothing fetched from outside."""
    visit = shown(chapter)
    page = visit.page
    # decode() fails for an image that did not load or cannot be drawn (lazy ones load first,
    # and are lazy again after: the page is shared).
    broken_images = page.evaluate("""async () => {
        const broken = [];
        for (const img of document.images) {
            const loading = img.getAttribute("loading");
            img.loading = "eager";
            try { await img.decode(); } catch (e) { broken.push(img.currentSrc || img.src); }
            if (img.naturalWidth === 0 && !broken.includes(img.src)) broken.push(img.src);
            if (loading === null) img.removeAttribute("loading"); else img.setAttribute("loading", loading);
        }
        return broken;
    }""")
    links = page.evaluate("() => Array.from(document.querySelectorAll('a[href]'), a => a.href)")
    problems = visit.problems + [f"broken image: {src}" for src in broken_images]

    for link in sorted(set(links)):
        if not link.startswith(guide):
            continue  # an outside link (pip's documentation): not fetched, the guide must work offline
        address, fragment = urldefrag(link)
        address = address.split("?")[0]
        status, ids = fetched(address)
        if status != 200:
            problems.append(f"broken link: {link} (HTTP {status})")
        elif fragment and address.endswith((".html", "/")) and fragment not in ids:
            problems.append(f"broken link: {link} (no element with id {fragment!r} on {urlsplit(address).path})")
    problems += [f"fetched from outside 127.0.0.1: {url}" for url in visit.outside]
    assert problems == [], f"{chapter}.html:\n" + "\n".join(problems)


def test_every_chapter_is_reachable_from_the_front_page(shown):
    linked = shown("index").page.evaluate(
        "() => Array.from(document.querySelectorAll('.bd-sidebar-primary a.reference.internal, "
        ".toctree-wrapper a.reference.internal'), a => a.href.split('#')[0])"
    )
    linked_pages = {urlsplit(url).path.lstrip("/").removesuffix(".html") for url in linked}
    assert sorted(set(chapters()) - {"index"} - linked_pages) == []


def test_search_finds_resolution_impossible(browser, guide):
    visit = Visit(browser, guide + "search.html?q=ResolutionImpossible")
    try:
        page = visit.page
        # Sphinx's search runs in the page's JavaScript and writes a summary when it is done.
        page.wait_for_selector("#search-results .search-summary:not(:empty)", timeout=15_000)
        summary = page.inner_text("#search-results .search-summary")
        hits = page.evaluate("() => Array.from(document.querySelectorAll('#search-results ul.search li a'), "
                             "a => new URL(a.href).pathname)")
        problems = visit.problems
    finally:
        visit.close()
    assert "/01-the-conflict.html" in hits, f"search for ResolutionImpossible: {summary!r}, hits {hits}"
    assert problems == []


def test_collapsed_parts_open_when_clicked(shown):
    """Every collapsed part of the guide (a hidden cell's input or output, a solution) opens on a click."""
    opened = []
    for chapter in chapters():
        visit = shown(chapter)
        every = visit.page.locator("details")
        # Whether each is open, its title, whether its content is shown: one question to the page for all.
        found = every.evaluate_all("""all => all.map(d => [d.open, d.querySelector(':scope > summary').innerText.trim(),
                                                          d.querySelector(':scope > :not(summary)').checkVisibility()])""")
        for i, (open_at_first, title, content_shown) in enumerate(found):
            if open_at_first:
                continue  # shown open by design
            assert not content_shown, f"{chapter}: {title!r} is not collapsed at first"
            details = every.nth(i)
            summary = details.locator(":scope > summary")
            content = details.locator(":scope > :not(summary)").first
            summary.click()
            assert details.evaluate("d => d.open"), f"{chapter}: {title!r} did not open when clicked"
            content.wait_for(state="visible")
            opened.append(f"{chapter}: {title}")
            details.evaluate("d => { d.open = false; }")  # as it was: the page is shared
        assert visit.problems == []
    # Nothing to click would make this test prove nothing: the guide has collapsed parts.
    assert opened, "no collapsed part (<details>) found in any chapter"


# -- nothing is cut off --------------------------------------------------------------------------

#: Laptop and tablet widths: at both, every line of every output must be seen without scrolling.
WIDTHS = [1280, 768]

#: Every box that shows an output, a code cell, a literal block or a table, with its text.
BOXES = """() => Array.from(document.querySelectorAll(
    "article.bd-article :is(pre, table, .pst-scrollable-table-container, div.highlight, div.cell_output, div.output)"
), box => ({
    kind: box.matches("table, .pst-scrollable-table-container") ? "table" : box.closest(".cell_output") ? "output" : "code",
    scrollWidth: box.scrollWidth,
    clientWidth: box.clientWidth,
    text: box.textContent.trim(),
}))"""


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("chapter", chapters())
def test_no_output_code_or_table_is_wider_than_its_box(shown, chapter, width):
    """A line past the right edge of its box is a line the reader does not see (issue 12, item 1)."""
    page = shown(chapter, width).page
    boxes = page.evaluate(BOXES)
    page_width = page.evaluate("() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]")
    if (BOOK / f"{chapter}.ipynb").exists():
        assert any(box["kind"] == "output" for box in boxes), f"{chapter}: no output found: the test would prove nothing"
    cut = [
        f"{box['kind']} {box['scrollWidth']} px wide in a {box['clientWidth']} px box: "
        f"{max(box['text'].splitlines() or [''], key=len)[:100]!r}"
        for box in boxes if box["scrollWidth"] > box["clientWidth"]
    ]
    if page_width[0] > page_width[1]:
        cut.append(f"the page itself is {page_width[0]} px wide in a {page_width[1]} px window")
    assert cut == [], f"{chapter}.html at {width} px, {len(cut)} of {len(boxes)} boxes cut off:\n" + "\n".join(cut)


def copied_by_copybutton(text: str) -> str:
    """What sphinx-copybutton should put on the clipboard for a block's text, as conf.py sets it up:
    only the lines after a ``$ `` or ``>>> `` prompt (and empty lines) when there is a prompt, and
    no trailing newline."""
    prompt = re.compile(r"^(\$ |>>> )(.*)")
    lines = text.split("\n")
    if any(prompt.match(line) for line in lines):
        lines = [m.group(2) if (m := prompt.match(line)) else line for line in lines
                 if prompt.match(line) or line.strip() == ""]
    copied = "\n".join(lines)
    return copied[:-1] if copied.endswith("\n") else copied


@pytest.mark.parametrize("chapter", ["01-the-conflict", "workshop/setup"])
def test_a_wrapped_line_is_copied_as_one_line(browser, guide, chapter):
    """Wrapping is visual only: the copy button copies exactly the text, no line break added."""
    browser.grant_permissions(["clipboard-read", "clipboard-write"], origin=guide.rstrip("/"))
    visit = Visit(browser, f"{guide}{chapter}.html", 768)
    try:
        page = visit.page
        # The blocks shown (not inside a collapsed part) on more lines than their text has: those that wrap.
        wrapped = page.evaluate("""() => Array.from(document.querySelectorAll("article.bd-article div.highlight pre[id]"))
            .filter(pre => pre.checkVisibility()).filter(pre => {
                const style = getComputedStyle(pre);
                const inner = pre.clientHeight - parseFloat(style.paddingTop) - parseFloat(style.paddingBottom);
                const lines = pre.textContent.replace(/\\n$/, "").split("\\n").length;
                return Math.round(inner / parseFloat(style.lineHeight)) > lines;
            })
            .map(pre => [pre.id, pre.textContent])""")
        assert wrapped, f"{chapter}: no block wraps at 768 px, so this test would prove nothing"
        for block_id, text in wrapped:
            page.evaluate("() => navigator.clipboard.writeText('')")  # so that a failed copy is seen
            page.click(f"button.copybtn[data-clipboard-target='#{block_id}']", force=True)
            copied = page.evaluate("() => navigator.clipboard.readText()")
            assert copied == copied_by_copybutton(text), f"{chapter}: #{block_id} copied differently"
        assert visit.problems == []
    finally:
        visit.close()


@pytest.mark.parametrize("width", WIDTHS)
def test_one_search_field(browser, guide, shown, width):
    """One search field on the page, not two (the theme's sidebar field and a header bar's)."""
    narrow = width < 992  # pydata-sphinx-theme's breakpoint: below it, the sidebar opens from a button
    # Opening the sidebar changes the page: then the test's own page, else the shared one.
    visit = Visit(browser, f"{guide}01-the-conflict.html", width) if narrow else shown("01-the-conflict", width)
    try:
        page = visit.page
        if narrow:
            page.click("button.primary-toggle:visible, label.sidebar-toggle.primary-toggle:visible")
            page.locator(".bd-docs-nav").wait_for(state="visible")  # the sidebar (it holds the chapters) is open
        fields = page.evaluate("""() => Array.from(document.querySelectorAll(
            ".search-button-field, .search-button, form.bd-search input[type=search]"
        )).filter(field => field.checkVisibility()).map(field => field.outerHTML.slice(0, 80))""")
    finally:
        if narrow:
            visit.close()
    assert len(fields) == 1, f"at {width} px, {len(fields)} search fields are shown: {fields}"


def _package_names(svg: str) -> list[str]:
    """The projects drawn in one of pinlab's pictures (its nodes), the user's own ``(you)`` aside."""
    import xml.etree.ElementTree as ET

    nodes = ET.fromstring(svg).iter("{http://www.w3.org/2000/svg}g")
    return [g.attrib["data-name"] for g in nodes if g.get("class", "").split()[:1] == ["node"] and g.get("data-name") != "(you)"]


def test_every_picture_says_what_it_shows(guide_files, shown):
    """A screen reader reads a picture's alt text: it must describe the picture, naming every project in it,
    not be the picture's file name (issue 12, item 2)."""
    problems, seen = [], 0
    for chapter in chapters():
        images = shown(chapter).page.evaluate(
            "() => Array.from(document.querySelectorAll('article.bd-article img'), i => [i.getAttribute('alt'), i.src])"
        )
        for alt, src in images:
            seen += 1
            picture = f"{chapter}: the picture {src[:60]!r}"
            if not alt or re.search(r"(^|/)_images/|\.(svg|png|jpe?g|gif)$", alt.strip()):
                problems.append(f"{picture} has the alt text {alt!r}")
                continue
            if src.startswith("data:image/svg+xml;base64,"):
                svg = base64.b64decode(src.partition(",")[2]).decode("utf-8")
            elif src.endswith(".svg"):
                svg = guide_files.get(src).text()
            else:
                continue
            unnamed = [name for name in _package_names(svg) if name not in alt]
            if unnamed:
                problems.append(f"{picture}: its alt text {alt!r} does not name {', '.join(unnamed)}")
    assert seen, "no picture found in the guide: the test would prove nothing"
    assert problems == []
