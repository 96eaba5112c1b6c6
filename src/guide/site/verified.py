"""What each snippet a page shows is tested on: ``verified.json``, and one line under its block.

The one version list (``pyproject.toml``'s ``[[tool.guide.matrix]]``,
:data:`guide.paths.MATRIX`) says which Django release is tested on which
Python; a snippet runs on every release, a variant (``NAME-djangoX.Y.pycon``)
on its own only. Each runs as the pytest test :func:`test_id` names, in
``nox -s docs`` on the default (newest) Django and in ``nox -s "tests(djangoX.Y)"``
on the others (``tests/django/test_snippets.py`` parametrises
``test_snippet`` by the snippet's path under ``snippets/``).

The hooks collect the snippets the pages include while they render them
(:func:`guide.site.runnable_blocks.render`), and write :data:`FILE` into the
built site (``on_post_build``), beside ``llms.txt``. The site is published
only after those tests pass (``.github/workflows/pages.yml`` runs ``./guide
test`` first).
"""

import json
from pathlib import Path

from guide.paths import MATRIX

FILE = "verified.json"
SNIPPET_TEST = "tests/django/test_snippets.py::test_snippet"
"""The pytest node that runs every snippet, parametrised by its path under ``snippets/``."""


def test_id(snippet):
    """``tests/django/test_snippets.py::test_snippet[howto/x/name.pycon]``."""
    return f"{SNIPPET_TEST}[{snippet.rel}]"


def session(django, matrix=MATRIX):
    """The nox session that runs the snippets on Django ``django``.

    ``docs`` for the default Django (the last of the version list), which runs
    every snippet there; ``tests(django5.2)`` for the others.
    """
    return "docs" if django == matrix[-1][0] else f"tests(django{django})"


def tested_on(snippet, matrix=MATRIX):
    """``[(django, python)]``: the releases ``snippet`` is tested on, oldest first."""
    return [(django, python) for django, python in matrix if snippet.runs_on(django)]


def line(snippet, matrix=MATRIX):
    """The quiet line under a block: ``Tested on Django 5.2, 6.0, 6.1``."""
    return "Tested on Django " + ", ".join(django for django, _ in tested_on(snippet, matrix))


def entry(snippet, pages, matrix=MATRIX):
    """One snippet's record in :data:`FILE`; ``pages``: the site URLs that show it."""
    return {
        "snippet": snippet.include,
        "pages": sorted(pages),
        "django": [django for django, _ in tested_on(snippet, matrix)],
        "tested_on": [
            {"django": django, "python": python, "nox_session": session(django, matrix)}
            for django, python in tested_on(snippet, matrix)
        ],
        "test": test_id(snippet),
    }


def document(shown, matrix=MATRIX):
    """:data:`FILE`'s content; ``shown``: ``{rel: (snippet, {page URL, ...})}``."""
    return {
        "about": (
            "Each doctest snippet the pages show, the Django releases and Python it is tested "
            "on, and the pytest test that runs it (in the nox session named per release)."
        ),
        "matrix": [{"django": django, "python": python} for django, python in matrix],
        "snippets": [
            entry(snippet, pages, matrix) for _, (snippet, pages) in sorted(shown.items())
        ],
    }


def write(site_dir, shown):
    """Write :data:`FILE` into ``site_dir``."""
    text = json.dumps(document(shown), indent=2, ensure_ascii=False) + "\n"
    (Path(site_dir) / FILE).write_text(text, encoding="utf-8")
