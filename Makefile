# Two commands after cloning (each installs what it needs into .venv first; both need npm,
# for the book's MathJax and widget scripts):
#   make book   build the book into _build/html (warnings are errors)
#   make test   run every test: library, doctests, the notebooks against their stored outputs,
#               and the built book's pages in headless Chromium (installed from Debian if missing)
# and one for authors:
#   make notebooks   re-execute book/*.ipynb in place on the CPU and store the outputs
#   make lab         open the chapters live in JupyterLab (with .venv's kernel)
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: install colab-env assets chromium book test lab notebooks clean

install: $(VENV)/.installed

$(VENV)/.installed: requirements.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	touch $@

# A second environment with Colab's widget stack (ipywidgets 7.7.1) and its versions of the
# scientific packages, for tests/test_non_reference_run.py; the book's package goes in as the
# chapters' first cell installs it on Colab (--no-deps, not editable), so it is re-installed
# whenever the library changes.
COLAB_VENV := .venv-colab

colab-env: $(COLAB_VENV)/.installed

$(COLAB_VENV)/.installed: requirements-colab.txt pyproject.toml $(wildcard convlstm/*.py)
	$(PYTHON) -m venv $(COLAB_VENV)
	$(COLAB_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(COLAB_VENV)/bin/python -m pip install --quiet -r requirements-colab.txt
	$(COLAB_VENV)/bin/python -m pip install --quiet --no-deps --force-reinstall .
	touch $@

# The pages load MathJax, RequireJS and the Jupyter widget manager from the book's own
# _static/ folder, not from a CDN (a classroom without internet still gets equations and
# widgets). package.json and package-lock.json pin them; `npm ci` installs them from the npm
# registry into node_modules/, and only the files the pages need are copied into $(ASSETS)/,
# which _config.yml names in html_static_path. Both folders are gitignored.
# (Not a folder named _static: Jupyter Book would add every .js file in it to every page.)
NPM ?= npm
ASSETS := _vendor

assets: $(ASSETS)/.copied

node_modules/.installed: package.json package-lock.json
	$(NPM) ci --ignore-scripts --no-audit --no-fund
	touch $@

# MathJax 3: the combined component Sphinx loads by default, and what it loads on demand
# relative to itself (TeX extensions, fonts, the menu, the accessibility tools). The widget
# manager: the AMD bundle with ipywidgets' base, controls and output widgets, the icon fonts
# it loads from its own folder, and assets/html-manager-local.js, which tells it that folder.
# Sphinx copies static files only on a build that writes some page, so new assets mean a
# fresh build.
$(ASSETS)/.copied: node_modules/.installed assets/html-manager-local.js assets/book.css Makefile
	rm -rf $(ASSETS)
	mkdir -p $(ASSETS)/mathjax $(ASSETS)/requirejs $(ASSETS)/html-manager
	cp node_modules/mathjax/LICENSE node_modules/mathjax/es5/tex-mml-chtml.js $(ASSETS)/mathjax/
	cp -R node_modules/mathjax/es5/input node_modules/mathjax/es5/output \
	      node_modules/mathjax/es5/ui node_modules/mathjax/es5/a11y node_modules/mathjax/es5/sre \
	      $(ASSETS)/mathjax/
	cp node_modules/requirejs/require.js $(ASSETS)/requirejs/
	cp node_modules/@jupyter-widgets/html-manager/dist/embed-amd.js \
	   node_modules/@jupyter-widgets/html-manager/dist/*.woff2 \
	   node_modules/@jupyter-widgets/html-manager/dist/*.woff \
	   node_modules/@jupyter-widgets/html-manager/dist/*.ttf \
	   node_modules/@jupyter-widgets/html-manager/dist/*.eot \
	   node_modules/@jupyter-widgets/html-manager/dist/*.svg \
	   assets/html-manager-local.js $(ASSETS)/html-manager/
	cp assets/book.css $(ASSETS)/
	rm -rf _build/.doctrees _build/html
	touch $@

# tests/test_browser.py opens the built pages in Debian's Chromium, driven by Playwright (which
# downloads no browser). Installed here when missing, as root or with sudo; on a machine without
# apt, point CHROMIUM at a Chrome or Chromium instead.
chromium:
	@if [ -z "$$CHROMIUM" ] && ! command -v chromium >/dev/null 2>&1; then \
	  SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
	  $$SUDO apt-get update -qq && \
	  $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	fi

book: install assets
	$(BIN)/jupyter-book build -W --keep-going .

test: install colab-env assets chromium
	$(BIN)/python -m pytest

# The chapters live, in JupyterLab (pinned in requirements.txt), with .venv's kernel: the
# editable package, widgets and all. Extra arguments: make lab LAB_ARGS="--port 8899".
lab: install
	@test -x $(BIN)/jupyter-lab || { echo "JupyterLab is not in $(VENV): requirements.txt pins it;" \
	  "run: rm $(VENV)/.installed && make install"; exit 1; }
	$(BIN)/jupyter-lab --notebook-dir=book $(LAB_ARGS)

notebooks: install
	$(BIN)/python scripts/execute_notebooks.py

clean:
	rm -rf _build $(ASSETS)
