"""The book's notebooks follow the project's policy: Colab-safe first cell, stored outputs, in the TOC."""
import json
import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "book").glob("*.ipynb"))
CONFIG = yaml.safe_load((ROOT / "_config.yml").read_text())


def code_cells(path):
    nb = json.loads(path.read_text())
    return nb, [c for c in nb["cells"] if c["cell_type"] == "code"]


def test_there_are_notebooks():
    assert NOTEBOOKS, "book/ has no notebooks"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_first_cell_installs_only_on_colab(path):
    _, cells = code_cells(path)
    first = "".join(cells[0]["source"])
    assert 'if "google.colab" in sys.modules:' in first
    install = re.search(r'%pip install .*"convlstm @ git\+(\S+)@(\S+)"', first)
    assert install, "the first cell must pip-install the package from the repository"
    # Colab's torch and ipywidgets stay: no dependency resolution, no import of either.
    assert "--no-deps" in first
    code = "\n".join(line.split("#")[0] for line in first.splitlines())
    assert "torch" not in code and "ipywidgets" not in code
    url, branch = install.groups()
    assert url == CONFIG["repository"]["url"] and branch == CONFIG["repository"]["branch"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_colab_opens_with_a_gpu(path):
    nb, _ = code_cells(path)
    assert nb["metadata"].get("accelerator") == "GPU"
    assert "gpuType" in nb["metadata"].get("colab", {})


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_outputs_are_stored(path):
    nb, cells = code_cells(path)
    assert all(c["execution_count"] is not None for c in cells if "".join(c["source"]).strip())
    assert nb["metadata"]["kernelspec"]["name"] == "python3"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_is_in_the_table_of_contents(path):
    toc = (ROOT / "_toc.yml").read_text()
    assert f"file: book/{path.stem}" in toc
