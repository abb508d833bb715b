"""A Sphinx extension: leave sphinx-thebe's scripts and stylesheet off every page.

Jupyter Book 1.x always loads sphinx-thebe, which puts on each page a script that declares
``const THEBE_JS_URL`` (twice, a JavaScript error in every reader's console) and names thebe
on unpkg.com. This book offers no live-code button (its notebooks run on Colab or in a local
Jupyter), so the pages need none of it: dropping it keeps the console clean and the pages free
of CDN addresses.
"""
from __future__ import annotations


def _is_thebe(asset) -> bool:
    name = getattr(asset, "filename", None) or ""
    body = getattr(asset, "attributes", {}).get("body", "")
    return "thebe" in name or "THEBE_JS_URL" in body


def drop_thebe_assets(app, pagename, templatename, context, doctree):
    for key in ("script_files", "css_files"):
        if key in context:
            context[key] = [asset for asset in context[key] if not _is_thebe(asset)]


def setup(app):
    # After sphinx-thebe and the theme have added theirs (default priority is 500).
    app.connect("html-page-context", drop_thebe_assets, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
