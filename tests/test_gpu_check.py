"""scripts/gpu_check.py: runs chapters as a reader's GPU run, records each, fails on any error."""
import importlib.util
import json
import os
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
spec = importlib.util.spec_from_file_location("gpu_check", ROOT / "scripts" / "gpu_check.py")
gpu_check = importlib.util.module_from_spec(spec)
spec.loader.exec_module(gpu_check)


def notebook(path, *sources):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(s) for s in sources]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, path)
    return path


def test_records_each_chapter_and_fails_on_an_error(tmp_path, monkeypatch):
    monkeypatch.setenv("CONVLSTM_REFERENCE_RUN", "1")  # set by conftest.py; the check removes it
    good = notebook(tmp_path / "a_good.ipynb", "FULL = False",
                    "import os, convlstm\nassert not convlstm.is_reference_run()")
    bad = notebook(tmp_path / "b_bad.ipynb", "x = 1", "assert x == 2, 'the stored number'")
    stored = bad.read_bytes()
    out = tmp_path / "run.json"
    assert gpu_check.main([str(good), str(bad), "--out", str(out)]) == 1
    records = json.loads(out.read_text())["chapters"]
    assert [r["chapter"] for r in records] == ["a_good", "b_bad"]
    assert records[0]["error"] is None and records[0]["device"] and records[0]["torch"] and records[0]["python"]
    assert records[1]["error"] == {"cell": 1, "message": "AssertionError: the stored number"}
    assert all(r["seconds"] > 0 for r in records)
    assert bad.read_bytes() == stored  # the notebook itself is never written
    assert gpu_check.main([str(good), "--out", str(out)]) == 0


def test_leaves_the_environment_as_it_found_it(tmp_path, monkeypatch):
    # pytest runs the book's notebooks after this file: they must stay the reference run
    monkeypatch.setenv("CONVLSTM_REFERENCE_RUN", "1")
    before = dict(os.environ)
    good = notebook(tmp_path / "a_good.ipynb", "FULL = False")
    assert gpu_check.main([str(good), "--out", str(tmp_path / "run.json")]) == 0
    with pytest.raises(SystemExit):
        gpu_check.main([str(tmp_path / "missing.ipynb")])
    assert dict(os.environ) == before


def test_refuses_full_true_and_missing_notebooks(tmp_path):
    full = notebook(tmp_path / "full.ipynb", "FULL = True")
    with pytest.raises(ValueError, match="expected FULL = False as stored, found FULL = True"):
        gpu_check.run_chapter(full, timeout=60)
    with pytest.raises(SystemExit):
        gpu_check.main([str(tmp_path / "missing.ipynb")])
