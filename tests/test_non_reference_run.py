"""Every chapter runs as a reader's run would: not the reference run, on Colab's widget stack.

The nbval run (book/*.ipynb in `make test`) is the reference run: the CPU, the pinned torch,
the exact numbers of the stored outputs. A reader's Colab GPU computes other numbers, and a
chapter that asserts the stored numbers there, or whose claims hold only for them, stops with
a traceback. This test runs each chapter once more, with what makes this CPU behave like
another device where torch lets it:

- ``convlstm.is_reference_run()`` is False (the variable is removed, see non_reference/startup.py);
- float32 convolutions in TF32, as cuDNN runs them on a GPU by default (emulated: this CPU's
  oneDNN computes the same numbers with torch's "tf32"/"bf16" knob, see startup.py);
- another thread count (1 instead of the reference run's 2), so sums are split differently.

It runs in a second environment, ``.venv-colab`` (`make colab-env`, which `make test` runs),
with Colab's widget stack, ipywidgets 7.7.1 and widgetsnbextension 3.6, and its versions of
NumPy, Matplotlib, scikit-image, mlxtend, tqdm, IPython and ipykernel (requirements-colab.txt).
The book's package is installed there the way each chapter's first cell installs it on Colab,
``pip install --no-deps .``, not editable. Colab runs Python 3.13 and torch 2.11; this machine
has the pinned torch 2.13.0 on disk only as a Python 3.11 wheel, and any other torch would be a
multi-GB download, so Python 3.11 and torch 2.13.0 stand in for them (a Python 3.13 exists
under ~/.pyenv, but no torch for it).

After the last cell, every slider the chapter made is moved from the kernel (as a reader's
browser would, see non_reference/probe_sliders.py): its view must redraw, differently for two
values, without a traceback. The time of each redraw is printed (pytest -s shows it).
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
CHAPTERS = sorted((ROOT / "book").glob("*.ipynb"))
COLAB = ROOT / ".venv-colab"
HERE = Path(__file__).resolve().parent / "non_reference"
THREADS = "1"  # the reference run uses 2 (conftest.py)
KERNEL = "convlstm-non-reference"


def installed_package_differs() -> list[str]:
    """The library files whose copy in .venv-colab differs from the working tree's."""
    done = subprocess.run([str(COLAB / "bin" / "python"), "-c", "import convlstm; print(convlstm.__file__)"],
                          capture_output=True, text=True, cwd="/")
    if done.returncode != 0:
        return ["convlstm (not installed)"]
    installed = Path(done.stdout.strip()).parent
    if installed == ROOT / "convlstm":
        return ["convlstm (installed editable, not as the first cell installs it)"]
    digest = lambda path: hashlib.sha256(path.read_bytes()).hexdigest() if path.exists() else None  # noqa: E731
    return [p.name for p in sorted((ROOT / "convlstm").glob("*.py")) if digest(p) != digest(installed / p.name)]


@pytest.fixture(scope="module")
def kernel(tmp_path_factory):
    """A kernel spec for .venv-colab's Python, with the startup file of a non-reference run."""
    if not (COLAB / ".installed").exists():
        pytest.fail("no Colab-like environment: run `make colab-env` (`make test` does)")
    stale = installed_package_differs()
    if stale:
        pytest.fail(f".venv-colab has another convlstm than this checkout ({', '.join(stale)}): "
                    "run `make colab-env` (`make test` does)")
    base = tmp_path_factory.mktemp("jupyter")
    ipython_dir = base / "ipython"
    (ipython_dir / "profile_default" / "startup").mkdir(parents=True)
    shutil.copy(HERE / "startup.py", ipython_dir / "profile_default" / "startup" / "00_non_reference.py")
    spec = base / "kernels" / KERNEL
    spec.mkdir(parents=True)
    env = {"IPYTHONDIR": str(ipython_dir), "OMP_NUM_THREADS": THREADS, "MKL_NUM_THREADS": THREADS,
           "CONVLSTM_REFERENCE_RUN": "0", "PYTHONPATH": "", "PYDEVD_DISABLE_FILE_VALIDATION": "1", "MPLBACKEND": "module://matplotlib_inline.backend_inline"}
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [str(COLAB / "bin" / "python"), "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "convlstm, non-reference run", "language": "python", "env": env}))
    saved = os.environ.get("JUPYTER_PATH")
    os.environ["JUPYTER_PATH"] = str(base)
    yield KERNEL
    if saved is None:
        os.environ.pop("JUPYTER_PATH", None)
    else:
        os.environ["JUPYTER_PATH"] = saved


def run_chapter(path: Path, kernel_name: str) -> tuple[float, dict]:
    """Execute a copy of the chapter (the stored file is only read) plus the slider probe."""
    nb = nbformat.read(path, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell((HERE / "probe_sliders.py").read_text()))
    client = NotebookClient(nb, kernel_name=kernel_name, timeout=900,
                            resources={"metadata": {"path": str(path.parent)}})
    start = time.perf_counter()
    client.execute()
    seconds = time.perf_counter() - start
    printed = "".join(o.get("text", "") for o in nb.cells[-1].outputs if o.output_type == "stream")
    probe = json.loads(printed.split("SLIDER-PROBE ", 1)[1])
    return seconds, probe


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_chapter_runs_off_the_reference_run(path, kernel):
    seconds, probe = run_chapter(path, kernel)
    for s in probe["sliders"]:
        print(f"{path.stem}: slider {s['slider']!r} {s['from']} -> {s['to']}: redrawn in {s['seconds']:.2f} s")
    print(f"{path.stem}: ran in {seconds:.0f} s off the reference run (TF32, {THREADS} thread, Colab's widgets)")
    if "Slider(" in path.read_text():  # guard: the probe must find the chapter's sliders
        assert probe["sliders"], f"{path.stem} makes sliders, but the probe found none"
    assert probe["errors"] == [], f"{path.stem}: a slider's view shows a traceback"
    for s in probe["sliders"]:
        assert s["drew"], f"{path.stem}: moving slider {s['slider']!r} drew nothing"
        assert s["changed"], f"{path.stem}: slider {s['slider']!r} redraws the same view for {s['from']} and {s['to']}"


def test_the_startup_file_makes_convolutions_tf32_and_the_run_not_the_reference():
    # In a fresh interpreter: the startup file enters its mode for the whole session.
    code = f"""
import os, torch
os.environ["CONVLSTM_REFERENCE_RUN"] = "1"
g = torch.Generator().manual_seed(0)
x, w = torch.randn(2, 16, 8, 8, generator=g), torch.randn(8, 16, 3, 3, generator=g) / 12  # outputs of order 1
a, b = torch.randn(64, 256, generator=g), torch.randn(256, 64, generator=g)
exact_conv, exact_mm = torch.nn.functional.conv2d(x, w), a @ b
exec(open({str(HERE / "startup.py")!r}).read())
import convlstm
conv = torch.nn.functional.conv2d(x, w)
assert not torch.equal(conv, exact_conv)  # the guard: the rounding happens
torch.testing.assert_close(conv, exact_conv, **convlstm.tolerance("cpu"))
from convlstm.reference import reduced_float32
assert reduced_float32("cpu") == "tf32"
assert torch.equal(a @ b, exact_mm)  # matrix products stay float32, as on CUDA by default
assert not convlstm.is_reference_run("cpu")
print("ok")
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert done.stdout.strip() == "ok", done.stderr[-2000:]
