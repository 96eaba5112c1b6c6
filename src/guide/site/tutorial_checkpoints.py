"""The tutorial's checkpoints: each step's end state, as files and as a zip built with the site.

``examples/tutorial/`` holds what the steps of ``docs/tutorial/index.md``
write, one folder per step that writes files, and nothing twice:

- ``step-1/``: what ``django-admin startproject mysite`` and
  ``python manage.py startapp polls`` write with the newest supported Django
  (its ``SECRET_KEY`` a fixed one);
- ``step-N/``: the files step N adds, whole (the page shows each under its
  path), the files its commands write (``makemigrations``), and, for a file
  the project has already, ``NAME.changes.py``: what the step changes in
  ``NAME.py``. Each top-level statement of it replaces the project's statement
  that binds the same names (an import from the same module, an assignment
  to the same name); the page shows it under ``NAME.py (...)``.

A step with no folder writes no file (step 2 reads ``asgi.py``, step 3 runs
``migrate``). Step N's end state, :func:`files`, is ``step-1/`` with the
folders of steps 2 to N applied in order. :func:`build` zips it under one
folder, ``mysite/``, as ``downloads/tutorial-step-N.zip`` (:data:`URL`),
reproducibly (:func:`guide.site.example_download.archive`); the page links
each step's zip at its end.
"""

import ast
import re

from guide.paths import ROOT
from guide.site import example_download, repository

TUTORIAL_DIR = ROOT / "examples" / "tutorial"
STEPS = 6
"""The tutorial's steps, numbered from 1 (its ``## N.`` headings)."""

URL = "downloads/tutorial-step-{}.zip"
"""Where the site has step N's zip (``URL.format(N)``)."""

FOLDER = "mysite"
"""The one folder each zip unpacks to: the reader's project folder."""

CHANGES = ".changes.py"


class CheckpointError(ValueError):
    """A ``.changes.py`` file that does not say what it replaces."""


def _bound(statement):
    """What a top-level statement binds, as a key two statements share to replace each other."""
    if isinstance(statement, ast.ImportFrom):
        return ("from", statement.module)
    if isinstance(statement, ast.Import):
        return ("import", tuple(alias.name for alias in statement.names))
    if isinstance(statement, ast.Assign | ast.AnnAssign):
        targets = statement.targets if isinstance(statement, ast.Assign) else [statement.target]
        return ("=", tuple(ast.unparse(t) for t in targets))
    return None


def apply_changes(text, changes, name="changes"):
    """``text`` (a module) with each top-level statement of ``changes`` put in place of its own."""
    lines = text.splitlines(keepends=True)
    change_lines = changes.splitlines(keepends=True)
    own = {}
    for statement in ast.parse(text).body:
        own.setdefault(_bound(statement), statement)
    edits = []
    for statement in ast.parse(changes).body:
        key = _bound(statement)
        if key is None or key not in own:
            raise CheckpointError(
                f"{name}:{statement.lineno}: replaces no statement of the project's file "
                "(an import from the same module, an assignment to the same name)"
            )
        replaced = own[key]
        edits.append(
            (
                replaced.lineno - 1,
                replaced.end_lineno,
                change_lines[statement.lineno - 1 : statement.end_lineno],
            )
        )
    for start, end, new in sorted(edits, reverse=True):
        lines[start:end] = new
    return "".join(lines)


def _step_files(step, root):
    prefix = f"{(TUTORIAL_DIR / f'step-{step}').relative_to(ROOT).as_posix()}/"
    return sorted(
        (path.removeprefix(prefix), root / path)
        for path in repository.files(root)
        if path.startswith(prefix)
    )


def files(step, root=ROOT):
    """Step ``step``'s end state: ``{path in the project: (bytes, executable)}``."""
    if not 1 <= step <= STEPS:
        raise ValueError(f"the tutorial has steps 1 to {STEPS}, not {step}")
    project = {}
    for number in range(1, step + 1):
        for name, source in _step_files(number, root):
            if name.endswith(CHANGES):
                target = name.removesuffix(CHANGES) + ".py"
                if target not in project:
                    raise CheckpointError(f"{source}: changes {target}, which no step wrote")
                data, mode = project[target]
                changed = apply_changes(data.decode(), source.read_text(), str(source))
                project[target] = (changed.encode(), mode)
            else:
                project[name] = (source.read_bytes(), example_download.executable(source))
    return project


def build(step, root=ROOT):
    """Step ``step``'s zip: its bytes."""
    return example_download.archive(
        (f"{FOLDER}/{name}", data, mode) for name, (data, mode) in files(step, root).items()
    )


# What differs from one reader's project to another's, made the same before comparing.
_VARYING = [
    (re.compile(rb"^SECRET_KEY = '[^'\n]*'$", re.M), rb"SECRET_KEY = '...'"),
    (re.compile(rb"using Django \d+\.\d+\.\d+\S*\."), rb"using Django ..."),
    (re.compile(rb"^# Generated by Django \S+ on .*$", re.M), rb"# Generated by Django ..."),
]


def comparable(data):
    """A file's bytes without what ``startproject`` and ``makemigrations`` make vary."""
    for pattern, same in _VARYING:
        data = pattern.sub(same, data)
    return data
