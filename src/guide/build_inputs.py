"""What each build is made from, and a hash of it: a build is redone only when this changes.

``nox`` keeps the hash beside each build (``build/browser/.inputs-sha256``,
``build/site/.inputs-sha256``) and rebuilds when it differs. :data:`INPUTS`
lists, per build, the files and folders it reads; a folder counts every file
under it, so a new file there joins by itself, ``env`` names the
environment variables it reads (the site's public URL), and
``repository_files`` says whether the names of all the repository's files
count (the site links the paths it shows only to files that exist), and
``first_runs`` whether the snippets readers run first on each page count
(the runtime learns at build what they read:
:mod:`guide.browser_build.first_runs`; the rest of the pages does not count,
so editing prose does not rebuild the runtime). Local state (caches, compiled
files, databases) is left out.

``python -m guide.build_inputs runtime|site`` prints the hash (what the
noxfile asks for).
"""

import hashlib
import json
import os
import subprocess
import sys

from guide.browser_build.first_runs import first_runs
from guide.content import snippets as model
from guide.paths import ROOT
from guide.site import repository

LOCAL_STATE = ("/.cache/", "__pycache__", "/staticfiles/", "db.sqlite3")

INPUTS = {
    # The browser runtime: Pyodide (package-lock.json), the pinned wheels, the
    # runtime's own files, the example project, and the build's code.
    "runtime": {
        "files": [
            "package-lock.json",
            "requirements/browser.txt",
            "requirements/browser-build.txt",
            "requirements/browser-django.txt",
        ],
        "folders": ["browser", "examples/mysite", "src/guide"],
        "skip": ("/test/",),
        "env": (),
        "repository_files": False,
        "first_runs": True,
    },
    # The site: the pages and what they include or draw from (the benchmark
    # results, the pins the servers table names, the version list that orders
    # the version tabs), the hooks, the runtime it copies (by its own hash), the
    # URL it is built for and its repository's (mkdocs.yml reads GUIDE_SITE_URL and
    # GUIDE_REPO_URL), and the repository's file names (the paths pages show link
    # to existing files: guide.site.repository).
    "site": {
        "files": [
            "mkdocs.yml",
            "pyproject.toml",
            "package-lock.json",
            "build/browser/.inputs-sha256",
        ],
        "folders": [
            "docs",
            "snippets",
            "hooks",
            "overrides",
            "examples/mysite",
            "examples/tutorial",
            "src/guide",
            "editor",
            "bench/results",
            "requirements",
        ],
        "skip": (),
        "env": ("GUIDE_SITE_URL", "GUIDE_REPO_URL"),
        "repository_files": True,
        "first_runs": False,
    },
}


def paths(kind, root=ROOT):
    """The files the ``kind`` build reads, in a fixed order (a missing file included)."""
    spec = INPUTS[kind]
    skip = (*LOCAL_STATE, *spec["skip"])
    found = [root / name for name in spec["files"]]
    for folder in spec["folders"]:
        for path in sorted((root / folder).rglob("*")):
            rel = "/" + path.relative_to(root).as_posix()
            if path.is_file() and not any(part in rel for part in skip):
                found.append(path)
    return found


def digest(kind, root=ROOT, environ=None):
    """A hash of the ``kind`` build's inputs: their paths and contents, and its variables."""
    environ = os.environ if environ is None else environ
    sha = hashlib.sha256()
    for name in INPUTS[kind]["env"]:
        value = environ.get(name)
        sha.update(f"${name}\0".encode() + (b"(unset)" if value is None else value.encode()))
    if INPUTS[kind]["repository_files"]:
        try:
            names = sorted(repository.files(root))
        except (OSError, subprocess.CalledProcessError):
            names = ["(not a git checkout)"]
        sha.update("\0".join(names).encode() + b"\0\0")
    if INPUTS[kind]["first_runs"]:
        runs = first_runs(model.load(root / "snippets"), docs=root / "docs")
        sha.update(json.dumps(runs, sort_keys=True).encode() + b"\0\0")
    for path in paths(kind, root):
        sha.update(path.relative_to(root).as_posix().encode() + b"\0")
        sha.update(path.read_bytes() if path.is_file() else b"(missing)")
    return sha.hexdigest()


if __name__ == "__main__":
    if len(sys.argv) != 2 or sys.argv[1] not in INPUTS:
        sys.exit(f"usage: python -m guide.build_inputs {'|'.join(INPUTS)}")
    print(digest(sys.argv[1]))
