"""The guide's repository on the web: its URL checked, its files, and the URL of each.

``mkdocs.yml`` reads the URL (``repo_url``) from ``GUIDE_REPO_URL`` (``!ENV``),
and has none for local builds: then the site has no repository link and the
paths it shows stay text. ``nox -s publish`` sets it from ``--repo-url URL``
or ``GUIDE_REPO_URL``; the GitHub Pages workflow passes the repository it
runs in. :func:`check` refuses anything that is not
``http(s)://host/owner/name``, in one line (the hooks call it on every build).

A file's page is ``{repo_url}/blob/{branch}/{path}``, a folder's
``{repo_url}/tree/{branch}/{path}`` (GitHub's form), at the branch that
``mkdocs.yml``'s ``edit_uri`` names (``edit/main/docs/``: the branch the
workflow publishes). :func:`files` are the repository's files as a clone has
them: ``git ls-files`` (tracked, and new files not ignored) that exist in
the working tree.
"""

import subprocess
import sys
from functools import cache
from pathlib import PurePosixPath
from urllib.parse import urlsplit

from guide.paths import EXAMPLE_DIR, ROOT

ENV = "GUIDE_REPO_URL"

EXAMPLE = EXAMPLE_DIR.relative_to(ROOT).as_posix()
"""``examples/mysite``: paths the pages write relative to the example project resolve here."""


class RepoURLError(ValueError):
    """A repository URL that is not ``http(s)://host/owner/name``."""


def check(url):
    """``url`` without a trailing ``/`` or ``.git``; raises :class:`RepoURLError` unless it
    is ``http(s)://host/owner/name``."""
    text = url.strip() if isinstance(url, str) else ""
    parts = urlsplit(text)
    segments = [s for s in parts.path.split("/") if s]
    if (
        parts.scheme not in ("http", "https")
        or not parts.hostname
        or len(segments) < 2
        or parts.query
        or parts.fragment
        or any(c.isspace() for c in text)
    ):
        raise RepoURLError(
            f"repository URL {url!r} is not http(s)://host/owner/name "
            "(e.g. https://github.com/owner/repo)"
        )
    return text.rstrip("/").removesuffix(".git")


def branch(edit_uri):
    """The branch of ``edit_uri`` (``edit/main/docs/`` -> ``main``)."""
    segments = [s for s in (edit_uri or "").split("/") if s]
    if len(segments) < 2 or segments[0] not in ("edit", "blob"):
        raise RepoURLError(f"edit_uri {edit_uri!r} is not edit/BRANCH/docs/")
    return segments[1]


@cache
def files(root=ROOT):
    """The repository's files, as paths relative to ``root`` (``examples/mysite/manage.py``)."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=root,
        capture_output=True,
        check=True,
    ).stdout.decode()
    return frozenset(p for p in listed.split("\0") if p and (root / p).is_file())


@cache
def folders(root=ROOT):
    """Every folder that holds a file of :func:`files` (``examples``, ``examples/mysite``...)."""
    return frozenset(
        parent.as_posix()
        for path in files(root)
        for parent in PurePosixPath(path).parents
        if parent.as_posix() != "."
    )


def resolve(text, root=ROOT, example=True):
    """``(path, is_folder)`` of the repository that ``text`` names, or None.

    ``text`` is a path from the repository's root (``tests/django/test_websockets.py``,
    ``examples/mysite/``, ``noxfile.py``), or, holding a ``/``, from the example
    project's (``polls/views.py``, ``mysite/settings.py``), when the root has no
    such path and ``example`` is true (false on a page about a project of its own).
    """
    text = text.strip()
    if not text or text.startswith(("/", "./", "../")) or "//" in text or " " in text:
        return None
    name = text.rstrip("/")
    candidates = [name]
    if "/" in name and example:
        candidates.append(f"{EXAMPLE}/{name}")
    for path in candidates:
        if path in files(root) and not text.endswith("/"):
            return path, False
        if path in folders(root):
            return path, True
    return None


def url(repo_url, branch_name, path, is_folder):
    """The page of ``path`` on the repository's site."""
    return f"{repo_url}/{'tree' if is_folder else 'blob'}/{branch_name}/{path}"


def main(argv=None):
    """``python -m guide.site.repository URL``: print the URL checked, or say in one line why not."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m guide.site.repository URL", file=sys.stderr)
        return 2
    try:
        print(check(args[0]))
    except RepoURLError as error:
        print(f"guide.site.repository: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
