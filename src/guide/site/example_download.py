"""The example project as a zip, for readers who do not use git: built with the site.

``downloads/mysite-example.zip`` holds what a clone holds to run the example:
every file of the repository (:func:`guide.site.repository.files`, so nothing
git ignores: no ``db.sqlite3``, ``__pycache__`` or local secrets) under
``examples/mysite/``, and ``requirements/example.txt`` and
``requirements/example-tests.txt``, in the repository's own layout under one
folder, ``mysite-example/``; the commands a page gives
for a clone work in it unchanged. The same files give the same bytes: entries
sorted, each dated 1980-01-01 with a fixed mode, so the site's build is
reproducible.
"""

import io
import stat
import zipfile

from guide.paths import ROOT
from guide.site import repository

URL = "downloads/mysite-example.zip"
"""Where the site has it (pages link to it by this path)."""

FOLDER = "mysite-example"
"""The one folder the zip unpacks to."""

REQUIREMENTS = ("requirements/example.txt", "requirements/example-tests.txt")
"""What the example's own requirements are, beside it (Django is installed on its own):
to run it, and to run its tests (docs/howto/testing.md)."""

DATE = (1980, 1, 1, 0, 0, 0)


def members(root=ROOT):
    """The repository paths the zip holds, sorted."""
    project = repository.EXAMPLE + "/"
    return sorted(p for p in repository.files(root) if p.startswith(project) or p in REQUIREMENTS)


def archive(entries):
    """The bytes of a reproducible zip of ``entries``: ``(name, data, executable)``.

    Entries sorted by name, each dated :data:`DATE` with a fixed mode (``0o755``
    for an executable file, else ``0o644``): the same files give the same bytes.
    """
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zipped:
        for name, data, executable in sorted(entries):
            info = zipfile.ZipInfo(name, date_time=DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = (stat.S_IFREG | (0o755 if executable else 0o644)) << 16
            info.create_system = 3  # Unix: the mode above is read by unzip
            zipped.writestr(info, data, compresslevel=9)
    return buffer.getvalue()


def executable(path):
    """Whether the file ``path`` is executable by its owner (``manage.py``)."""
    return bool(path.stat().st_mode & stat.S_IXUSR)


def build(root=ROOT):
    """The zip's bytes."""
    return archive(
        (f"{FOLDER}/{path}", (root / path).read_bytes(), executable(root / path))
        for path in members(root)
    )
