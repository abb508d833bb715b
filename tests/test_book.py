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


def test_landing_figure_is_current(tmp_path):
    """book/images/landing.png is what scripts/landing_figure.py draws from today's library."""
    import importlib.util

    import matplotlib.image

    spec = importlib.util.spec_from_file_location("landing_figure", ROOT / "scripts" / "landing_figure.py")
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    script.landing(tmp_path / "landing.png")
    fresh = matplotlib.image.imread(tmp_path / "landing.png")
    stored = matplotlib.image.imread(ROOT / "book" / "images" / "landing.png")
    assert fresh.shape == stored.shape, "re-run: python scripts/landing_figure.py"
    # Font rasterisation may differ by a grey level here and there; a changed figure differs a lot.
    assert abs(fresh - stored).mean() < 0.01, "re-run: python scripts/landing_figure.py"
    assert abs(fresh - stored).mean() < abs(fresh - fresh[:, ::-1]).mean() / 10  # the check can fail


def test_one_figure_style_for_the_book():
    """book/matplotlibrc styles every chapter (kernels start in book/); no notebook overrides it."""
    import matplotlib

    rc = matplotlib.rc_params_from_file(str(ROOT / "book" / "matplotlibrc"), fail_on_error=True,
                                        use_default_template=False)
    assert "axes.prop_cycle" in rc and rc["image.interpolation"] == "nearest"
    for path in NOTEBOOKS:
        _, cells = code_cells(path)
        source = "\n".join("".join(c["source"]) for c in cells)
        for override in ("rcParams", "plt.style.use", "matplotlib.rc(", "plt.rc("):
            assert override not in source, f"{path.name} changes the book's figure style ({override})"
