"""Bundle the runnable blocks' code editor into the site.

``editor/editor.mjs`` imports CodeMirror 6 from ``node_modules`` (pinned in
``package-lock.json``; ``npm ci`` installs it). esbuild, also pinned there,
bundles it into one ES module, ``assets/vendor/editor.mjs``, served by the
site itself like Mermaid and the runtime: the page loads nothing from another
origin. ``docs/assets/javascripts/runnable.mjs`` imports it when a block
first becomes editable.
"""

import subprocess
from pathlib import Path

from mkdocs.exceptions import PluginError

from guide.paths import ROOT

ENTRY = ROOT / "editor" / "editor.mjs"
ESBUILD = ROOT / "node_modules" / ".bin" / "esbuild"
EDITOR_URL = "assets/vendor/editor.mjs"


def esbuild(entry, out, *options):
    """Bundle the ES module ``entry`` and what it imports into one module at ``out``.

    esbuild from node_modules; ``options`` are added to ``--bundle --format=esm``.
    """
    if not ESBUILD.is_file():
        raise PluginError(f"{ESBUILD.relative_to(ROOT)} is missing: run `npm ci` first.")
    argv = [str(ESBUILD), str(entry), "--bundle", "--format=esm", *options, f"--outfile={out}"]
    result = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True)
    if result.returncode != 0:
        raise PluginError(f"bundling {entry} failed:\n{result.stderr}")


def bundle(site_dir):
    """Write ``assets/vendor/editor.mjs`` into ``site_dir`` (esbuild, from node_modules)."""
    out = Path(site_dir) / EDITOR_URL
    esbuild(
        ENTRY, out, "--minify", "--target=es2020", "--legal-comments=eof", "--log-level=warning"
    )
