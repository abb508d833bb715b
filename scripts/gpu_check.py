"""Execute every chapter on this machine's GPU, as a Colab reader would, and record how it went.

    python scripts/gpu_check.py                       # every book/*.ipynb
    python scripts/gpu_check.py book/01_lstm_gates.ipynb --out /tmp/run.json

Each chapter runs with nbclient on a copy in memory (the stored notebook is never written),
with ``FULL = False`` as stored, not as the reference run (``convlstm.is_reference_run()`` is
False), on the device ``pick_device()`` picks. For each chapter the JSON file
(``book/data/gpu_run.json`` by default) records the device's name, the torch and Python
versions the kernel ran, the wall time, and the error, if any (the failing cell's number and
the exception). The exit status is 1 when any chapter stopped with an error.

On the device machine, scripts/device_run.sh installs the Jupyter packages this needs first.
"""
from __future__ import annotations

import argparse
import datetime
import json
import os
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BOOK = ROOT / "book"

# Run first in each chapter's kernel: what it computes on.
_WHERE = """\
import json as _json, platform as _platform, torch as _torch
print("GPU-CHECK " + _json.dumps({
    "device": _torch.cuda.get_device_name(0) if _torch.cuda.is_available() else "cpu (no CUDA device)",
    "torch": _torch.__version__, "python": _platform.python_version(),
    "cuda": _torch.version.cuda}))
del _json, _platform, _torch
"""


def run_chapter(path: Path, timeout: int) -> dict:
    """Execute one chapter; return its record (device, versions, seconds, error)."""
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError, CellTimeoutError

    nb = nbformat.read(path, as_version=4)
    sources = ["".join(cell.source) for cell in nb.cells if cell.cell_type == "code"]
    if any(re.search(r"^FULL = True", s, re.M) for s in sources):
        raise ValueError(f"{path.name}: expected FULL = False as stored, found FULL = True")
    nb.cells.insert(0, nbformat.v4.new_code_cell(_WHERE))
    client = NotebookClient(nb, kernel_name="python3", timeout=timeout,
                            resources={"metadata": {"path": str(path.parent)}})
    record = {"chapter": path.stem, "device": None, "torch": None, "python": None, "seconds": None, "error": None}
    start = time.perf_counter()
    try:
        client.execute()
    except (CellExecutionError, CellTimeoutError) as error:
        failed = next((i for i, cell in enumerate(nb.cells) if cell.cell_type == "code" and any(
            o.output_type == "error" for o in cell.get("outputs", []))), None)
        outputs = nb.cells[failed].outputs if failed is not None else []
        message = next((f"{o.ename}: {o.evalue}" for o in outputs if o.output_type == "error"), None)
        # the cell's index in the stored notebook (the check's own cell was put first)
        record["error"] = {"cell": None if failed is None else failed - 1, "message": message or str(error).strip().splitlines()[-1][:500]}
    except Exception as error:  # the kernel died, or did not start
        record["error"] = {"cell": None, "message": f"{type(error).__name__}: {error}"[:500]}
    record["seconds"] = round(time.perf_counter() - start, 1)
    printed = "".join(o.get("text", "") for o in nb.cells[0].get("outputs", []) if o.output_type == "stream")
    if "GPU-CHECK " in printed:
        record.update(json.loads(printed.split("GPU-CHECK ", 1)[1].splitlines()[0]))
    return record


def main(argv: list[str]) -> int:
    saved = dict(os.environ)
    try:  # the kernels' environment is set here and undone after: main() may run in-process
        return _check(argv)
    finally:
        os.environ.clear()
        os.environ.update(saved)


def _check(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("chapters", nargs="*", type=Path, help="notebooks (default: every book/*.ipynb)")
    parser.add_argument("--out", type=Path, default=BOOK / "data" / "gpu_run.json")
    parser.add_argument("--timeout", type=int, default=900, help="seconds per cell")
    args = parser.parse_args(argv)
    os.environ.pop("CONVLSTM_REFERENCE_RUN", None)  # a reader's run, not the reference run
    os.environ.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
    # The kernels import this checkout's convlstm, wherever the notebook lies.
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    chapters = args.chapters or sorted(BOOK.glob("*.ipynb"))
    missing = [str(p) for p in chapters if not p.exists()]
    if missing:
        parser.error(f"no such notebook: {', '.join(missing)} (give paths like book/01_lstm_gates.ipynb)")
    records = []
    for path in chapters:
        record = run_chapter(path, args.timeout)
        records.append(record)
        status = "ok" if record["error"] is None else f"ERROR in cell {record['error']['cell']}: {record['error']['message']}"
        print(f"{path.name}: {record['seconds']} s on {record['device']} (torch {record['torch']}): {status}",
              flush=True)
        args.out.parent.mkdir(parents=True, exist_ok=True)  # written after each chapter: a cut run keeps some
        args.out.write_text(json.dumps({
            "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
            "full": False, "chapters": records}, indent=2) + "\n")
    return 1 if any(r["error"] for r in records) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
