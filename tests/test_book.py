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
    # the requirement sits in BOOK, which IPython expands in the magic (a line that fits the column)
    requirement = re.search(r'^BOOK = "(convlstm @ git\+(\S+)@(\S+))"$', first, re.M)
    install = re.search(r'^\s+%pip install .*"\{BOOK\}"$', first, re.M)
    assert requirement and install, "the first cell must pip-install the package from the repository"
    # Colab's torch and ipywidgets stay: no dependency resolution, no import of either.
    assert "--no-deps" in first
    code = "\n".join(line.split("#")[0] for line in first.splitlines())
    assert "torch" not in code and "ipywidgets" not in code
    url, branch = requirement.group(2, 3)
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


# ------------------------------------------------- a chapter defines only what it teaches

# Helpers that moved into the library, by the name the chapters gave them.
MOVED_HELPERS = {
    "n_params": "convlstm.count_parameters",
    "strip": "convlstm.viz.frame_strip",
    "show_table": "convlstm.viz.show_table",
    "centre": "convlstm.metrics.centre_of_mass",
    "Constant": "convlstm.baselines.Constant",
    "LastFrame": "convlstm.baselines.LastFrame",
}


def top_level_definitions(cells) -> dict:
    """``{name: cell number}`` of the functions and classes a notebook's code cells define."""
    import ast

    defined = {}
    for number, cell in enumerate(cells):
        source = "".join(cell["source"])
        # An IPython magic (``%pip``, ``!ls``) becomes ``pass``, indented as it was (it may sit under an if).
        code = "\n".join(line[: len(line) - len(line.lstrip())] + "pass" if line.lstrip().startswith(("%", "!"))
                         else line for line in source.splitlines())
        for node in ast.parse(code).body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                defined.setdefault(node.name, number)
    return defined


def library_exports() -> dict:
    """``{name: "convlstm.module"}`` for every public function and class the library defines."""
    import importlib
    import inspect
    import pkgutil

    import convlstm

    exports = {}
    for info in pkgutil.iter_modules(convlstm.__path__):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"convlstm.{info.name}")
        for name, value in vars(module).items():
            if (not name.startswith("_") and (inspect.isfunction(value) or inspect.isclass(value))
                    and value.__module__ == module.__name__):
                exports[name] = module.__name__
    return exports


def definitions_problems(definitions: dict, exports: dict) -> list:
    """What is wrong with ``{notebook: {name: cell}}``: names defined twice, or the library's."""
    problems = []
    seen = {}
    for notebook, names in definitions.items():
        for name, cell in names.items():
            if name in seen:
                problems.append(f"{name} is defined in both {seen[name]} and {notebook} (code cell {cell}): "
                                "move it into the library and import it")
            seen.setdefault(name, f"{notebook} (code cell {cell})")
            library = MOVED_HELPERS.get(name) or exports.get(name)
            if library:
                problems.append(f"{notebook} (code cell {cell}) defines {name}: import {library} instead")
    return problems


def test_no_notebook_defines_a_function_twice_or_the_librarys():
    definitions = {path.name: top_level_definitions(code_cells(path)[1]) for path in NOTEBOOKS}
    assert sum(len(names) for names in definitions.values()) > 0  # the chapters do define things
    problems = definitions_problems(definitions, library_exports())
    assert not problems, "\n".join(problems)


def test_the_definitions_check_can_fail():
    old = [{"source": ["%matplotlib inline\n", "def n_params(module):\n", "    return 0\n"]},
           {"source": ["!ls\n", "class Constant:\n", "    pass\n", "def chapter_only():\n", "    pass\n"]}]
    other = [{"source": ["def n_params(m):\n", "    return 1\n", "def frame_mse(a, b):\n", "    return 0\n"]}]
    definitions = {"a.ipynb": top_level_definitions(old), "b.ipynb": top_level_definitions(other)}
    assert definitions["a.ipynb"] == {"n_params": 0, "Constant": 1, "chapter_only": 1}  # magics skipped
    problems = definitions_problems(definitions, library_exports())
    assert any("n_params is defined in both a.ipynb (code cell 0) and b.ipynb" in p for p in problems)
    assert any("defines Constant: import convlstm.baselines.Constant" in p for p in problems)
    assert any("defines frame_mse: import convlstm.metrics" in p for p in problems)
    assert not any("chapter_only" in p for p in problems)


# ------------------------------------------------- the code fits the page

# The book's code column (and a Colab cell at its default width) shows 80 characters.
MAX_COLUMNS = 80


def long_code_lines(cells, limit=MAX_COLUMNS) -> list:
    """``(code cell number, length, line)`` of every code line longer than ``limit``."""
    return [(number, len(line), line)
            for number, cell in enumerate(cells)
            for line in "".join(cell["source"]).splitlines() if len(line) > limit]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_code_fits_the_column(path):
    _, cells = code_cells(path)
    long = long_code_lines(cells)
    assert not long, f"{path.name}: {len(long)} code lines over {MAX_COLUMNS} characters:\n" + "\n".join(
        f"  code cell {number}, {length} characters: {line}" for number, length, line in long)


def test_the_column_check_can_fail():
    install = {"source": ['%pip install "convlstm @ git+https://example.org/' + "x" * 80 + '/repo@main"\n']}
    fits = {"source": ["x = 1\n", "y" * 80 + "\n"]}
    too_long = {"source": ["x = 1\n", "    " + "z" * 86]}
    assert long_code_lines([fits]) == []  # 80 characters fit
    assert long_code_lines([install, fits, too_long]) == [(0, 140, install["source"][0][:-1]),
                                                          (2, 90, "    " + "z" * 86)]


# Labels stay legible on the page: figures are drawn at the column's width, 1:1, so a font
# size in points is what the reader gets (convlstm.viz.LABEL_PT = 9 is the smallest).
SMALLEST_PT = 9


def small_fonts(sources) -> list:
    """``(source number, size)`` of every explicit ``fontsize=`` below ``SMALLEST_PT``."""
    return [(number, float(size)) for number, source in enumerate(sources)
            for size in re.findall(r"fontsize\s*=\s*(\d+(?:\.\d*)?)", source)
            if float(size) < SMALLEST_PT]


def test_no_figure_text_is_smaller_than_9_points():
    from convlstm.viz import LABEL_PT

    assert LABEL_PT == SMALLEST_PT
    library = [p.read_text() for p in sorted((ROOT / "convlstm").glob("*.py"))]
    chapters = ["".join(c["source"]) for path in NOTEBOOKS for c in code_cells(path)[1]]
    assert sum("fontsize" in s for s in library + chapters) > 5  # guard: there are sizes to check
    assert small_fonts(library + chapters) == []
    rc = (ROOT / "book" / "matplotlibrc").read_text()
    sizes = re.findall(r"^[a-z.]*(?:size|labelsize|titlesize|fontsize):\s*([\d.]+)", rc, re.M)
    assert len(sizes) >= 5 and min(float(s) for s in sizes) >= SMALLEST_PT


def test_the_font_check_can_fail():
    assert small_fonts(['ax.legend(fontsize=8)', 'ax.set_title("t", fontsize = 7.5)',
                        'ax.text(0, 0, "x", fontsize=9)']) == [(0, 8.0), (1, 7.5)]
