"""The rendered book as a reader sees it, in a real browser, offline.

The book is built afresh (warnings are errors) into a temporary folder, served on localhost,
and every page of the table of contents is opened in headless Chromium: Debian's ``chromium``
(or the browser ``CHROMIUM`` names) driven by Playwright, which downloads no browser. Every
request that would leave localhost is refused and reported, so what passes here reads in a
classroom without internet. A screenshot of each page is saved in ``_build/browser/`` for a
failing run to be looked at.
"""
from __future__ import annotations

import functools
import http.server
import os
import shutil
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urljoin

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
CONFIG = yaml.safe_load((ROOT / "_config.yml").read_text())
TOC = yaml.safe_load((ROOT / "_toc.yml").read_text())
SCREENSHOTS = ROOT / "_build" / "browser"
BUILD_BUDGET_S = 60  # building the book from stored outputs, on 2 CPU cores
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def toc_pages() -> list[str]:
    """The book's pages in reading order, as source paths without suffix ("book/intro", ...)."""
    pages = [TOC["root"]]
    for part in TOC.get("parts", []):
        pages += [chapter["file"] for chapter in part["chapters"]]
    return pages


PAGES = toc_pages()
NOTEBOOK_PAGES = [p for p in PAGES if (ROOT / f"{p}.ipynb").exists()]


def chromium_executable() -> str:
    found = os.environ.get("CHROMIUM") or next(
        (shutil.which(name) for name in ("chromium", "chromium-browser", "google-chrome") if shutil.which(name)),
        None,
    )
    if not found:
        pytest.fail(
            "no Chromium found for the browser tests: `make test` installs Debian's chromium "
            "(apt-get install chromium); elsewhere set CHROMIUM=/path/to/chrome"
        )
    return found


@dataclass
class Build:
    html: Path
    seconds: float
    returncode: int
    log: str


@pytest.fixture(scope="module")
def build(tmp_path_factory) -> Build:
    if not (ROOT / "_vendor" / ".copied").exists():
        pytest.fail("the book's MathJax, RequireJS and widget scripts are not installed: run `make assets` "
                    "(`make test` does)")
    out = tmp_path_factory.mktemp("book")
    jupyter_book = Path(sys.executable).parent / "jupyter-book"
    start = time.perf_counter()
    done = subprocess.run(
        [str(jupyter_book), "build", "-W", "--keep-going", "--path-output", str(out), str(ROOT)],
        capture_output=True, text=True, cwd=ROOT, timeout=600,
    )
    seconds = time.perf_counter() - start
    return Build(out / "_build" / "html", seconds, done.returncode, done.stdout + done.stderr)


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def site(build):
    if build.returncode != 0:
        pytest.fail(f"the book did not build:\n{build.log[-3000:]}")
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(_QuietHandler, directory=str(build.html))
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api", reason="pip install playwright (requirements.txt)")
    with sync_api.sync_playwright() as playwright:
        # The flags keep Chromium from calling home (refused on a closed network) and let it
        # run as root in a container.
        chromium = playwright.chromium.launch(
            executable_path=chromium_executable(),
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"],
        )
        yield chromium
        chromium.close()


@dataclass
class Visit:
    """What one page did and showed once its scripts had run."""
    url: str
    errors: list = field(default_factory=list)  # console errors, uncaught exceptions, HTTP >= 400
    external: list = field(default_factory=list)  # requests that would have left localhost
    info: dict = field(default_factory=dict)  # what the page's DOM says (see _INSPECT)
    screenshot: Path | None = None
    controls: list = field(default_factory=list)  # each saved slider or dropdown, moved (see _move_controls)


# Run in the page once MathJax and the widgets are done.
_INSPECT = """() => {
  const skip = "pre, code, script, style, mjx-container, mjx-assistive-mml, .highlight";
  const walker = document.createTreeWalker(document.querySelector("main") || document.body,
                                           NodeFilter.SHOW_TEXT);
  const rawTex = [];
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    if (node.parentElement.closest(skip)) continue;
    const text = node.textContent;
    if (/\\$\\$|\\\\begin\\{|\\\\\\(|\\\\\\[|\\\\frac|\\\\mathrm/.test(text)) rawTex.push(text.trim().slice(0, 80));
  }
  const views = Array.from(document.querySelectorAll('script[type="%s"]'));
  const cells = Array.from(document.querySelectorAll("div.cell"));
  // For each widget: is there a picture (the static view) in a cell before it, after the
  // previous widget? The rendered book cannot run the kernel behind a widget.
  let lastWidgetCell = -1;
  const staticViews = [];
  cells.forEach((cell, i) => {
    if (!cell.querySelector('script[type="%s"]')) return;
    const before = cells.slice(lastWidgetCell + 1, i);
    // (or the widget draws its own figure: a precomputed view, convlstm.sliders)
    staticViews.push(before.some(c => c.querySelector(".cell_output img")) ||
                     !!cell.querySelector(".widget-subarea img"));
    lastWidgetCell = i;
  });
  const main = document.querySelector("main") || document.body;
  return {
    title: document.title,
    images: Array.from(main.querySelectorAll("img")).length,
    brokenImages: Array.from(document.images)
        .filter(img => !(img.complete && img.naturalWidth > 0)).map(img => img.src.slice(0, 120)),
    math: document.querySelectorAll(".math").length,
    typeset: document.querySelectorAll(".math mjx-container").length,
    mathJax: document.querySelectorAll("mjx-container").length,
    rawTex: rawTex,
    widgetViews: views.length,
    renderedWidgets: views.filter(s => {
      const area = s.previousElementSibling;
      return area && area.classList.contains("widget-subarea") && area.querySelector(".jupyter-widgets");
    }).length,
    sliders: document.querySelectorAll(".widget-slider").length,
    staticViews: staticViews,
    colab: Array.from(document.querySelectorAll("a"))
        .map(a => a.href).filter(h => h.startsWith("https://colab.research.google.com")),
    next: (document.querySelector("a.right-next") || {}).href || null,
    sidebar: Array.from(document.querySelectorAll("nav.bd-docs-nav a.reference"))
        .map(a => a.href.split("#")[0]),
    // Blocks that scroll sideways at this width (code, printed output, tables, display
    // equations), and figures drawn wider than the column, so shrunk with their labels.
    blocks: main.querySelectorAll("div.highlight pre, div.cell_output pre").length,
    overflow: Array.from(main.querySelectorAll(
        "div.highlight pre, div.cell_output pre, div.cell_output table, table.table, " +
        "div.math, mjx-container[display='true']"))
        .filter(e => e.offsetParent !== null && e.scrollWidth > e.clientWidth + 1)
        .map(e => `${e.tagName.toLowerCase()} ${e.scrollWidth}px in ${e.clientWidth}px: ` +
                  e.textContent.trim().slice(0, 60)),
    shrunk: Array.from(main.querySelectorAll("div.cell_output img, figure img, div.widget-subarea img"))
        .filter(i => i.offsetParent !== null && i.naturalWidth > i.clientWidth * 1.1)
        .map(i => `${i.naturalWidth}px image shown ${i.clientWidth}px wide`),
  };
}""" % (WIDGET_VIEW, WIDGET_VIEW)


def _visit(browser, url: str, name: str) -> Visit:
    visit = Visit(url)
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.on("console", lambda m: m.type == "error" and visit.errors.append(f"console: {m.text}"))
    page.on("pageerror", lambda e: visit.errors.append(f"uncaught: {e}"))
    page.on("response", lambda r: r.status >= 400 and visit.errors.append(f"HTTP {r.status}: {r.url}"))

    def offline(route):
        if route.request.url.startswith(("http://127.0.0.1", "data:", "blob:")):
            route.continue_()
        else:
            visit.external.append(route.request.url)
            route.abort()

    page.route("**/*", offline)
    try:
        _render(page, visit, url, name)
    finally:
        page.close()
    return visit


def _render(page, visit: Visit, url: str, name: str) -> None:
    """Load the page, wait for MathJax and the widgets, then record what it shows and screenshot it."""
    page.goto(url, wait_until="load")
    # MathJax 3 typesets after it starts; the widget manager renders on "load".
    page.evaluate("() => window.MathJax && MathJax.startup ? MathJax.startup.promise : null")
    views = page.locator(f'script[type="{WIDGET_VIEW}"]').count()
    if views:
        try:
            page.wait_for_function(
                "n => document.querySelectorAll('.widget-subarea .jupyter-widgets').length >= n",
                arg=views, timeout=20_000,
            )
        except Exception:  # reported by the widget test, with the screenshot
            pass
        page.evaluate("() => window.MathJax && MathJax.startup ? MathJax.startup.promise : null")
    page.wait_for_timeout(300)  # late console errors
    visit.info = page.evaluate(_INSPECT)
    visit.controls = _move_controls(page)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    visit.screenshot = SCREENSHOTS / f"{name.replace('/', '_')}.png"
    page.screenshot(path=str(visit.screenshot), full_page=True)


# The controls of every saved widget (sliders, dropdowns), by widget and position.
_CONTROLS = """() => {
  const found = [];
  document.querySelectorAll(".widget-subarea").forEach((area, w) => {
    area.querySelectorAll(".widget-slider, .widget-dropdown").forEach((c, k) => {
      const label = c.querySelector(".widget-label");
      found.push({widget: w, control: k, dropdown: c.classList.contains("widget-dropdown"),
                  label: label ? label.textContent.trim() : ""});
    });
  });
  return found;
}"""

# What a control shows: its readout (or selected option).
_READOUT = """([w, k]) => {
  const area = document.querySelectorAll(".widget-subarea")[w];
  const c = area.querySelectorAll(".widget-slider, .widget-dropdown")[k];
  const readout = c.querySelector(".widget-readout");
  const select = c.querySelector("select");
  return readout ? readout.textContent.trim() : (select ? select.value : null);
}"""

# What the widget shows besides its controls: the pictures and printed text that are visible.
_FIGURE = """(w) => {
  const area = document.querySelectorAll(".widget-subarea")[w];
  const visible = e => e.offsetParent !== null && e.getBoundingClientRect().width > 0;
  const images = Array.from(area.querySelectorAll("img")).filter(visible).map(i => i.src);
  const text = Array.from(area.querySelectorAll(".widget-output, .widget-html")).filter(visible)
      .map(o => o.innerText);
  return JSON.stringify({images: images, text: text});
}"""


def _move_controls(page) -> list:
    """Move every saved slider (and dropdown) one step; record whether the figure under it changed.

    A slider wired with ``interactive_output`` needs a kernel: on the static page its handle and
    readout move while the saved figure stays. A precomputed view (convlstm.sliders) switches
    the figure in the browser. Each control is stepped with the keyboard (right, or left at the
    end of its range), and the widget's visible pictures (their sources) and printed output are
    compared before and after.
    """
    moved = []
    for control in page.evaluate(_CONTROLS):
        where = [control["widget"], control["control"]]
        area = page.locator(".widget-subarea").nth(control["widget"])
        element = area.locator(".widget-slider, .widget-dropdown").nth(control["control"])
        before_value = page.evaluate(_READOUT, where)
        before = page.evaluate(_FIGURE, control["widget"])
        if control["dropdown"]:
            select = element.locator("select")
            options = select.locator("option").count()
            current = select.evaluate("s => s.selectedIndex")
            select.select_option(index=current + 1 if current + 1 < options else current - 1)
        else:
            element.locator(".noUi-handle, .ui-slider-handle").first.focus()
            page.keyboard.press("ArrowRight")
            page.wait_for_timeout(100)
            if page.evaluate(_READOUT, where) == before_value:  # at the end of its range
                page.keyboard.press("ArrowLeft")
        page.wait_for_timeout(300)
        after_value = page.evaluate(_READOUT, where)
        moved.append({"widget": control["widget"], "label": control["label"], "from": before_value,
                      "to": after_value, "moved": after_value != before_value,
                      "figure_changed": page.evaluate(_FIGURE, control["widget"]) != before})
    return moved


@pytest.fixture(scope="module")
def visits(site, browser):
    """Every page of the table of contents, opened once."""
    return {name: _visit(browser, urljoin(site, f"{name}.html"), name) for name in PAGES}


def test_the_book_builds_without_warnings_in_under_a_minute(build):
    assert build.returncode == 0, f"jupyter-book build -W failed:\n{build.log[-3000:]}"
    assert build.seconds < BUILD_BUDGET_S, (
        f"building the book took {build.seconds:.0f} s; the budget is {BUILD_BUDGET_S} s on 2 cores"
    )


@pytest.mark.parametrize("name", PAGES)
def test_page_has_no_errors_and_loads_nothing_from_the_internet(visits, name):
    visit = visits[name]
    assert visit.errors == [], f"{visit.url} (screenshot {visit.screenshot})"
    assert visit.external == [], f"{visit.url} asked the internet for these (screenshot {visit.screenshot})"


@pytest.mark.parametrize("name", PAGES)
def test_nothing_scrolls_sideways(visits, name):
    # No code, output, table or equation needs a sideways scroll at the book's default width
    # (issue 14; assets/book.css wraps what is longer than the column).
    info = visits[name].info
    assert info["overflow"] == [], f"{name} scrolls sideways: {info['overflow']} ({visits[name].screenshot})"


@pytest.mark.parametrize("name", PAGES)
def test_figures_are_drawn_at_the_column_width(visits, name):
    # A figure drawn much wider than the column is shrunk to fit, and its labels with it
    # (convlstm.viz draws strips and grids at the column's width: tests/test_viz.py).
    info = visits[name].info
    assert info["shrunk"] == [], f"{name} shrinks figures: {info['shrunk']} ({visits[name].screenshot})"


def test_the_column_check_has_blocks_to_measure(visits):
    # Guard: the check above must meet the chapters' code and output blocks.
    assert sum(v.info["blocks"] for v in visits.values()) > 100


@pytest.mark.parametrize("name", PAGES)
def test_every_image_loads(visits, name):
    info = visits[name].info
    assert info["brokenImages"] == [], f"{visits[name].url} (screenshot {visits[name].screenshot})"
    if name in NOTEBOOK_PAGES or name == TOC["root"]:
        assert info["images"] > 0, f"{name}: a chapter without a single figure?"


@pytest.mark.parametrize("name", PAGES)
def test_every_equation_is_typeset(visits, name):
    info = visits[name].info
    assert info["rawTex"] == [], f"TeX left as text on {visits[name].url} (screenshot {visits[name].screenshot})"
    assert info["typeset"] == info["math"], f"{info['math'] - info['typeset']} equations not typeset on {name}"


def test_the_equation_check_has_equations_to_check(visits):
    # Guard: the page scan above must see MathJax output somewhere, or it checks nothing.
    assert sum(v.info["mathJax"] for v in visits.values()) > 50
    assert visits["book/01_lstm_gates"].info["typeset"] > 10


@pytest.mark.parametrize("name", PAGES)
def test_saved_widgets_render_with_a_static_view_before_them(visits, name):
    info = visits[name].info
    assert info["renderedWidgets"] == info["widgetViews"], (
        f"{info['widgetViews'] - info['renderedWidgets']} saved widgets not drawn on {visits[name].url} "
        f"(screenshot {visits[name].screenshot})"
    )
    if info["widgetViews"]:
        assert info["sliders"] > 0  # the chapters' widgets are sliders for kernel size, steps, ...
    assert all(info["staticViews"]), f"{name}: a widget without a figure of its effect, in or before it"


# Chapters whose widgets still redraw only with a kernel (issue 14, not yet converted to
# convlstm.sliders.precomputed_view). Strict: the test fails as soon as one of them is fixed,
# so that it leaves this list.
LIVE_ONLY_SLIDERS: set = set()
SLIDER_PAGES = [pytest.param(p, marks=pytest.mark.xfail(strict=True, reason="sliders not precomputed yet"))
                if p in LIVE_ONLY_SLIDERS else p for p in PAGES]


@pytest.mark.parametrize("name", SLIDER_PAGES)
def test_every_saved_slider_changes_its_figure_on_the_static_page(visits, name):
    # A handle that moves while the figure under it stays tells the reader something false
    # ("kernel k 9" above a plot of k = 5): views must be precomputed (convlstm.sliders).
    controls = visits[name].controls
    stuck = [c for c in controls if not c["moved"]]
    assert stuck == [], f"{name}: controls that did not move: {stuck}"
    lying = [f"widget {c['widget']} '{c['label']}' {c['from']} -> {c['to']}" for c in controls
             if not c["figure_changed"]]
    assert lying == [], (f"{name}: the handle moved but the figure stayed: {lying} "
                         f"(screenshot {visits[name].screenshot})")


def test_the_slider_check_has_sliders_to_move(visits):
    # Guard: the check above must move some controls, or it checks nothing.
    assert sum(len(v.controls) for v in visits.values()) >= len(NOTEBOOK_PAGES)


def test_the_book_has_widgets(visits):
    # Guard: the widget checks above must meet some widgets, or they check nothing.
    assert sum(v.info["renderedWidgets"] for v in visits.values()) >= len(NOTEBOOK_PAGES)


@pytest.mark.parametrize("name", PAGES)
def test_colab_opens_this_pages_notebook(visits, name):
    url, branch = CONFIG["repository"]["url"], CONFIG["repository"]["branch"]
    repo = url.removeprefix("https://github.com/").rstrip("/")
    links = set(visits[name].info["colab"])
    if name in NOTEBOOK_PAGES:
        assert links == {f"https://colab.research.google.com/github/{repo}/blob/{branch}/{name}.ipynb"}
    else:
        assert links == set(), f"{name} is not a notebook but links to Colab: {links}"


def test_next_links_walk_the_whole_book_in_order(site, visits):
    walked, url = [], urljoin(site, f"{PAGES[0]}.html")
    while url and len(walked) <= len(PAGES):
        name = url.removeprefix(site).removesuffix(".html")
        walked.append(name)
        url = visits[name].info["next"] if name in visits else None
    assert walked == PAGES


@pytest.mark.parametrize("name", PAGES)
def test_sidebar_reaches_every_chapter(site, visits, name):
    reached = {link.removeprefix(site).removesuffix(".html") for link in visits[name].info["sidebar"]}
    # The current page's own entry links to "#"; every other page must be one click away.
    assert set(PAGES) - {name, TOC["root"]} <= reached


def test_index_opens_the_book(site, browser):
    page = browser.new_page()
    page.route("**/*", lambda route: route.continue_() if route.request.url.startswith("http://127.0.0.1")
               else route.abort())
    page.goto(urljoin(site, "index.html"), wait_until="load")
    page.wait_for_url(urljoin(site, f"{TOC['root']}.html"), timeout=10_000)
    assert CONFIG["title"] in page.title()
    page.close()
