"""A build is redone when anything it is made from changes (guide.build_inputs).

Each test copies the inputs into a temporary tree, changes one file there, and
checks that the hash nox compares changes with it (or, for local state, does not).
"""

import shutil
import subprocess

import pytest

from guide import build_inputs
from guide.browser_build.first_runs import first_runs
from guide.content import snippets as model
from guide.paths import ROOT
from guide.servers import catalogue
from guide.site import markers, repository


def _tree(tmp_path, extra=()):
    """A copy of every input of both builds (and ``extra`` files) under ``tmp_path``."""
    wanted = {p for kind in build_inputs.INPUTS for p in build_inputs.paths(kind) if p.is_file()}
    wanted |= {ROOT / name for name in extra}
    for path in wanted:
        target = tmp_path / path.relative_to(ROOT)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)
    return tmp_path


def _changes(tmp_path, kind, rel, extra=()):
    root = _tree(tmp_path, (*extra, rel))
    before = build_inputs.digest(kind, root)
    with (root / rel).open("a", encoding="utf-8") as file:
        file.write("\n")
    return build_inputs.digest(kind, root) != before


# What the site shows from files outside its folders: every results file a
# table is drawn from, the pins the servers table names, and the version list
# (the order of the version tabs).
SITE_FILES = sorted(
    {f"bench/results/{s}" for s, _ in markers.all_tables().values() if isinstance(s, str)}
    | {f"requirements/{name}" for name in catalogue.REQUIREMENTS}
    | {"pyproject.toml", "mkdocs.yml", "package-lock.json"}
)


@pytest.mark.parametrize("rel", SITE_FILES)
def test_the_site_is_rebuilt_when_a_file_it_shows_changes(tmp_path, rel):
    assert _changes(tmp_path, "site", rel), f"changing {rel} does not rebuild the site"


@pytest.mark.parametrize(
    "rel", ["requirements/browser.txt", "requirements/browser-django.txt", "package-lock.json"]
)
def test_the_runtime_is_rebuilt_when_its_pins_or_versions_change(tmp_path, rel):
    assert _changes(tmp_path, "runtime", rel), f"changing {rel} does not rebuild the runtime"


@pytest.mark.parametrize(
    ("kind", "rel"),
    [
        ("site", "docs/index.md"),
        ("site", "src/guide/site/hooks.py"),
        ("site", "examples/mysite/polls/views.py"),
        ("runtime", "browser/worker.mjs"),
        ("runtime", "examples/mysite/polls/views.py"),
    ],
)
def test_a_file_in_an_input_folder_counts(tmp_path, kind, rel):
    assert _changes(tmp_path, kind, rel)


def test_the_runtime_is_rebuilt_when_a_snippet_readers_run_first_changes(tmp_path):
    """It runs them at build to learn which files come before the first result
    (guide.browser_build.first_runs); other snippets and the pages' prose do not count."""
    first = first_runs()[0]["snippet"]
    assert _changes(tmp_path / "a", "runtime", f"snippets/{first}")
    later = {s.rel for s in model.load().values()} - {run["snippet"] for run in first_runs()}
    assert not _changes(tmp_path / "b", "runtime", f"snippets/{sorted(later)[0]}")
    assert not _changes(tmp_path / "c", "runtime", "docs/index.md")


def test_a_new_page_counts_and_local_state_does_not(tmp_path):
    root = _tree(tmp_path)
    before = build_inputs.digest("site", root)
    (root / "examples/mysite/db.sqlite3").write_bytes(b"local")
    (root / "src/guide/__pycache__").mkdir(exist_ok=True)
    (root / "src/guide/__pycache__/x.pyc").write_bytes(b"local")
    assert build_inputs.digest("site", root) == before
    (root / "docs/new-page.md").write_text("# New\n")
    assert build_inputs.digest("site", root) != before


def test_the_site_is_rebuilt_for_another_public_url(tmp_path):
    root = _tree(tmp_path)
    local = build_inputs.digest("site", root, environ={})
    public = build_inputs.digest("site", root, environ={"GUIDE_SITE_URL": "https://example.org/"})
    assert public != local
    assert build_inputs.digest("runtime", root, environ={}) == build_inputs.digest(
        "runtime", root, environ={"GUIDE_SITE_URL": "https://example.org/"}
    )


def test_the_site_is_rebuilt_for_another_repository_url(tmp_path):
    root = _tree(tmp_path)
    local = build_inputs.digest("site", root, environ={})
    linked = build_inputs.digest("site", root, environ={"GUIDE_REPO_URL": "https://github.com/o/r"})
    assert linked != local


def test_the_site_is_rebuilt_when_a_file_of_the_repository_is_added(tmp_path):
    """Its pages link the paths they show only where a file is there (guide.site.repo_links)."""
    root = _tree(tmp_path)
    subprocess.run(["git", "init", "-q"], cwd=root, check=True)
    before = build_inputs.digest("site", root)
    (root / "tests").mkdir(exist_ok=True)
    (root / "tests" / "test_new.py").write_text("")
    repository.files.cache_clear()
    assert build_inputs.digest("site", root) != before
