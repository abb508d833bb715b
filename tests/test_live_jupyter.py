"""Chapter 3 live in JupyterLab, driven in a real browser: run all cells, move the sliders.

What a class does with the book: `make lab`, open a chapter, run it, play with the sliders.
Here JupyterLab (pinned in requirements.txt) is started on 127.0.0.1, on a free port, with a
token, serving a temporary copy of the chapter (the stored notebook is never written), and
stopped at the end, also when the test fails. Headless Chromium (Debian's, driven by
Playwright, with tests/test_browser.py's offline launch flags) opens the chapter, runs all
cells, then moves the receptive-field view's kernel-size slider and then its steps slider
with the keyboard, as a reader would. After each move the figure under the sliders must
change (its pixels compared before and after) and no cell may show an error. The time from
the key press to the new figure is printed; it should feel immediate (REDRAW_BUDGET_S).

Sliders of the other chapters are moved from their kernels, in the run of every chapter in
tests/test_non_reference_run.py: running chapter 4's cells once more here would cost minutes.
"""
from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from test_browser import chromium_executable

ROOT = Path(__file__).resolve().parent.parent
CHAPTER = "03_convlstm_cell.ipynb"
SERVER_START_S = 90  # JupyterLab's first start on 2 busy cores
RUN_ALL_S = 300  # chapter 3 runs in about a minute on 2 cores
REDRAW_BUDGET_S = 2.0  # a slider move redraws chapter 3's receptive-field view within this
SCREENSHOTS = ROOT / "_build" / "browser"
# Every cell stays in the page (JupyterLab 4 otherwise drops or hides cells scrolled away).
SETTINGS = {"@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
            "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {"fetchNews": "false",
                                                                                "checkForUpdates": False}}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """A JupyterLab server on a copy of the chapter; yields its URL with the token."""
    jupyter_lab = Path(sys.executable).parent / "jupyter-lab"
    if not jupyter_lab.exists():
        pytest.fail(f"JupyterLab is not installed in {Path(sys.executable).parent.parent}: run `make install` "
                    "(requirements.txt pins jupyterlab)")
    base = tmp_path_factory.mktemp("lab")
    root = base / "book"
    root.mkdir()
    shutil.copy(ROOT / "book" / CHAPTER, root / CHAPTER)
    shutil.copy(ROOT / "book" / "matplotlibrc", root / "matplotlibrc")  # the book's figure style
    for name, values in SETTINGS.items():
        target = base / "settings" / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(values))
    port, token = free_port(), secrets.token_hex(16)
    env = {**{k: v for k, v in os.environ.items() if k != "CONVLSTM_REFERENCE_RUN"},  # a reader's run
           "JUPYTER_CONFIG_DIR": str(base / "config"), "JUPYTER_RUNTIME_DIR": str(base / "runtime"),
           "JUPYTERLAB_SETTINGS_DIR": str(base / "settings"),
           "PYTHONPATH": str(ROOT),  # the kernel imports this checkout's convlstm
           "PYDEVD_DISABLE_FILE_VALIDATION": "1"}
    log = open(base / "lab.log", "w")
    server = subprocess.Popen(
        [str(jupyter_lab), "--no-browser", "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}",
         "--ServerApp.port_retries=0", f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}",
         "--LabApp.expose_app_in_browser=True",  # window.jupyterapp: run all cells, read outputs
         "--LabApp.news_url=", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
         "--LabApp.extension_manager=readonly",  # no PyPI queries: the test runs offline
         f"--LabApp.workspaces_dir={base / 'workspaces'}", *(["--allow-root"] if os.geteuid() == 0 else [])],
        stdout=log, stderr=subprocess.STDOUT, env=env, cwd=root, start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + SERVER_START_S
        while True:
            if server.poll() is not None:
                pytest.fail(f"JupyterLab exited with {server.returncode}:\n{(base / 'lab.log').read_text()[-3000:]}")
            try:
                urllib.request.urlopen(f"{url}/api/status?token={token}", timeout=2).read()
                break
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail(f"JupyterLab did not answer in {SERVER_START_S} s:\n"
                                f"{(base / 'lab.log').read_text()[-3000:]}")
                time.sleep(0.5)
        yield f"{url}/lab/tree/{CHAPTER}?token={token}"
    finally:
        server.terminate()  # shuts down its kernels too
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=10)
        log.close()


# The notebook's state, read through JupyterLab's own model: which code cells have run, are
# running, and which outputs are errors.
_CELLS = """() => {
  const panel = window.jupyterapp.shell.currentWidget;
  if (!panel || !panel.content || !panel.content.widgets) return null;
  const cells = panel.content.widgets.filter(c => c.model.type === "code" && c.model.sharedModel.source.trim());
  return {
    kernel: panel.sessionContext.session ? panel.sessionContext.session.kernel.status : "none",
    total: cells.length,
    done: cells.filter(c => c.model.executionCount !== null).length,
    running: cells.filter(c => c.promptNode && c.promptNode.textContent.includes("*")).length,
    errors: cells.flatMap(c => c.model.outputs.toJSON().filter(o => o.output_type === "error")
                                .map(o => `cell [${c.model.executionCount}] ${c.model.sharedModel.source.trim()
                                           .split("\\n").pop().slice(0, 120)}: ${o.ename}: ${o.evalue}`)),
    widgetErrors: document.querySelectorAll('.widget-output [data-mime-type="application/vnd.jupyter.stderr"], '
        + '.jupyter-widgets-output-area [data-mime-type="application/vnd.jupyter.stderr"]').length,
  };
}"""


@pytest.fixture(scope="module")
def page(lab):
    sync_api = pytest.importorskip("playwright.sync_api", reason="pip install playwright (requirements.txt)")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium_executable(),
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"],
        )
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.route("**/*", lambda r: r.continue_() if r.request.url.startswith(("http://127.0.0.1", "ws://127.0.0.1",
                                                                               "data:", "blob:")) else r.abort())
        try:
            page.goto(lab, wait_until="load", timeout=60_000)
            page.wait_for_function("() => window.jupyterapp && window.jupyterapp.shell.currentWidget && "
                                   "window.jupyterapp.shell.currentWidget.sessionContext.session && "
                                   "window.jupyterapp.shell.currentWidget.sessionContext.session.kernel.status"
                                   " === 'idle'", timeout=60_000)
            print(f"\nJupyterLab opened {CHAPTER}, kernel idle")
            start = time.perf_counter()
            page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")
            finished = ("() => { const s = (" + _CELLS + ")(); return s && (s.errors.length > 0 || "
                        "(s.done === s.total && s.running === 0 && s.kernel === 'idle')); }")
            page.wait_for_function(finished, timeout=RUN_ALL_S * 1000, polling=500)
            print(f"{CHAPTER}: all cells ran in JupyterLab in {time.perf_counter() - start:.0f} s")
            yield page
        finally:
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SCREENSHOTS / "live_jupyter_03.png"))
            browser.close()


def test_every_cell_runs_without_an_error(page):
    state = page.evaluate(_CELLS)
    assert state["errors"] == [], f"cells show errors in JupyterLab (screenshot {SCREENSHOTS})"
    assert state["total"] > 20 and state["done"] == state["total"]  # the guard: cells were run


@pytest.mark.parametrize("label", ["kernel k", "steps T"])
def test_moving_a_slider_redraws_the_receptive_field(page, label):
    view = page.locator(".widget-vbox", has=page.locator(".widget-slider", has_text="kernel k")).first
    slider = view.locator(".widget-slider", has_text=label).first
    view.scroll_into_view_if_needed(timeout=30_000)
    # The view is precomputed (convlstm.sliders): the slider shows another of its pictures.
    figure = view.locator("img").filter(visible=True).first
    figure.wait_for(timeout=30_000)
    before_src, before_pixels = figure.get_attribute("src"), figure.screenshot()
    handle = slider.locator(".noUi-handle, .ui-slider-handle").first
    handle.focus()
    start = time.perf_counter()
    page.keyboard.press("ArrowRight")
    page.wait_for_function(
        "([src, sel]) => { const v = Array.from(document.querySelectorAll('.widget-vbox')).find("
        "  b => b.textContent.includes('kernel k'));"
        "  const img = v && Array.from(v.querySelectorAll(sel)).find("
        "    i => i.offsetParent !== null && i.getBoundingClientRect().width > 0);"
        "  return img && img.complete && img.naturalWidth > 0 && img.getAttribute('src') !== src; }",
        arg=[before_src, "img"], timeout=60_000, polling=50,
    )
    seconds = time.perf_counter() - start
    print(f"\n{CHAPTER}: slider {label!r} moved, receptive field redrawn in {seconds:.2f} s")
    page.wait_for_timeout(300)  # let a second redraw, if any, land before the screenshot
    after_pixels = figure.screenshot()
    assert after_pixels != before_pixels, f"slider {label!r} moved but the figure's pixels stayed the same"
    state = page.evaluate(_CELLS)
    assert state["errors"] == [] and state["widgetErrors"] == 0, "an error after moving a slider"
    assert seconds < REDRAW_BUDGET_S, (
        f"slider {label!r}: the receptive field took {seconds:.1f} s to redraw; the budget is "
        f"{REDRAW_BUDGET_S} s on 2 cores (cache what does not depend on the slider)")
