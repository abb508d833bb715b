"""Re-execute the book's notebooks in place, on the CPU, and store their outputs.

    python scripts/execute_notebooks.py            # every book/*.ipynb
    python scripts/execute_notebooks.py book/01_lstm_gates.ipynb

The stored outputs are what the rendered book shows and what `pytest --nbval` compares
with a fresh run, so run this after changing a notebook or the library, and commit the
result. Notebooks fix their own seeds; the GPU is hidden so that outputs are the CPU's.
Widget state is stored too, so the rendered book can draw the widgets.
"""
from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

BOOK = Path(__file__).resolve().parent.parent / "book"


def execute(path: Path) -> float:
    """Execute one notebook in place; return the seconds it took."""
    nb = nbformat.read(path, as_version=4)
    start = time.perf_counter()
    client = NotebookClient(
        nb,
        kernel_name="python3",
        timeout=900,
        resources={"metadata": {"path": str(path.parent)}},
        store_widget_state=True,
        record_timing=False,
    )
    client.execute()
    for cell in nb.cells:  # nbclient leaves an empty metadata dict on every output
        cell.get("metadata", {}).pop("execution", None)
    nbformat.write(nb, path)
    return time.perf_counter() - start


def main(argv: list[str]) -> int:
    os.environ["CUDA_VISIBLE_DEVICES"] = ""  # the stored outputs are the CPU's
    # Training sums differ slightly with the thread count: store what 2 threads compute,
    # as the tests do (conftest.py).
    os.environ["OMP_NUM_THREADS"] = "2"
    os.environ["MKL_NUM_THREADS"] = "2"
    os.environ["CONVLSTM_REFERENCE_RUN"] = "1"  # convlstm.is_reference_run(): the quoted numbers
    os.environ.setdefault("PYTHONHASHSEED", "0")
    os.environ.setdefault("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    paths = [Path(p) for p in argv] or sorted(BOOK.glob("*.ipynb"))
    for path in paths:
        print(f"{path}: {execute(path):.1f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
