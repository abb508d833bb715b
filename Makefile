# Two commands after cloning (each installs what it needs into .venv first):
#   make book   build the book into _build/html (warnings are errors)
#   make test   run every test: library, doctests, and the notebooks against their stored outputs
# and one for authors:
#   make notebooks   re-execute book/*.ipynb in place on the CPU and store the outputs
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: install book test notebooks clean

install: $(VENV)/.installed

$(VENV)/.installed: requirements.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	touch $@

book: install
	$(BIN)/jupyter-book build -W --keep-going .

test: install
	$(BIN)/python -m pytest

notebooks: install
	$(BIN)/python scripts/execute_notebooks.py

clean:
	rm -rf _build
