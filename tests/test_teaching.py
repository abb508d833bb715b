"""The teaching page links every exercise to a solution that exists, and names real sliders."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BOOK = ROOT / "book"
PAGE = (BOOK / "teaching.md").read_text()
LINKS = re.findall(r'<a href="([0-9]{2}_\w+)\.html#([\w-]+)">', PAGE)


def _labels(notebook: Path) -> set[str]:
    """MyST targets ``(name)=`` and directive ``:name:`` options in a notebook's markdown cells."""
    text = "\n".join("".join(cell["source"]) for cell in json.loads(notebook.read_text())["cells"]
                     if cell["cell_type"] == "markdown")
    return set(re.findall(r"^\(([\w-]+)\)=\s*$", text, re.M)) | set(re.findall(r"^:name:\s*([\w-]+)", text, re.M))


def test_the_page_links_three_solutions_per_chapter():
    chapters = sorted(BOOK.glob("0*.ipynb"))
    assert len(LINKS) == 3 * len(chapters)  # guard: the regex finds the links
    assert {page for page, _ in LINKS} == {nb.stem for nb in chapters}


@pytest.mark.parametrize("page, anchor", LINKS, ids=[a for _, a in LINKS])
def test_each_solution_link_has_its_label_in_the_chapter(page, anchor):
    assert anchor in _labels(BOOK / f"{page}.ipynb"), (
        f"book/teaching.md links {page}.html#{anchor}: add `({anchor})=` above that solution, "
        f"or `:name: {anchor}` to its dropdown, in book/{page}.ipynb"
    )


def _slider_descriptions() -> set[str]:
    found = set()
    for notebook in BOOK.glob("0*.ipynb"):
        for cell in json.loads(notebook.read_text())["cells"]:
            source = "".join(cell["source"])
            found |= set(re.findall(r'description="([^"]+)"', source))  # an ipywidgets slider
            # a convlstm.sliders.precomputed_view: its sliders' names are the labels={...} values
            for labels in re.findall(r"labels=\{([^}]*)\}", source):
                found |= set(re.findall(r'"[^"]+":\s*"([^"]+)"', labels))
    return found


def test_the_lesson_plans_name_sliders_that_exist():
    plans = PAGE[PAGE.index("## A 50-minute"):PAGE.index("## The two cells")]
    named = set(re.findall(r"\*\*([^*]+)\*\*", plans))  # in the plans, bold names a slider
    assert len(named) >= 5  # guard: the plans name sliders
    assert named <= _slider_descriptions(), f"not a slider in any chapter: {named - _slider_descriptions()}"
