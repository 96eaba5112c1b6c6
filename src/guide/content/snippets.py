"""The one model of a snippet: a file under ``snippets/``, its options, its Django version.

A snippet is a ``*.pycon`` file: an interactive session, run as a doctest
(``>>>`` lines are executed, the lines after them are the expected output).
By default it runs as in ``python manage.py shell`` in ``examples/mysite``:
``DJANGO_SETTINGS_MODULE=mysite.settings``, ``django.setup()`` already called,
and a fresh copy of the migrated sample database.

**Versions come from the file name alone.** ``NAME-djangoX.Y.pycon`` is the
variant of ``NAME.pycon`` for Django X.Y; a page includes ``NAME.pycon`` once
and the ``runnable`` hook renders one tab per Django version, in the order of
:data:`guide.paths.DJANGO_VERSIONS`. A name with variants has one for every
supported version and no plain file beside them.

**Options** live in a ``snippets.toml`` beside the snippets, one table per
file name (a base name, ``NAME.pycon``, applies to all its variants; a
variant's own table adds to it). Only the keys of :class:`Options` exist;
anything else is an error naming the file.
"""

import re
import tomllib
from dataclasses import dataclass, field, fields
from functools import cached_property
from pathlib import Path

from guide.paths import DJANGO_VERSIONS, ROOT, SNIPPETS

OPTIONS_FILE_NAME = "snippets.toml"
SUFFIX = ".pycon"
VARIANT = re.compile(r"^(?P<stem>.+)-django(?P<version>\d+\.\d+)\.pycon$")


class SnippetError(ValueError):
    """A snippet file or a ``snippets.toml`` entry is not what the model allows."""


@dataclass(frozen=True)
class Options:
    """How one snippet runs; set in the ``snippets.toml`` beside it."""

    setup: bool = True
    """Call ``django.setup()`` before the snippet (as ``manage.py shell`` does)."""
    env: dict = field(default_factory=dict)
    """Extra environment variables."""
    unset: list = field(default_factory=list)
    """Environment variables to remove (e.g. ``DJANGO_SETTINGS_MODULE``)."""
    browser: str = ""
    """Why the snippet cannot run in a browser, in a few plain words that the page shows
    ("needs real threads", at most :data:`BROWSER_REASON_MAX` characters); empty means it can."""
    browser_why: str = ""
    """The longer explanation of ``browser``, which the page folds under the block."""
    timeout: float = 60.0
    """Seconds before the snippet's process is killed."""
    stderr: str = ""
    """A regular expression what the snippet writes to stderr must match in full
    (on a server and in the browser); empty means it writes nothing there."""


OPTION_NAMES = {f.name for f in fields(Options)}
BROWSER_REASON_MAX = 50
"""A ``browser`` reason is one short line; the explanation goes in ``browser_why``."""


@dataclass(frozen=True)
class Snippet:
    """One snippet file and how it runs."""

    path: Path
    options: Options = Options()
    root: Path = SNIPPETS
    """The ``snippets/`` folder (its parent is the project's root)."""

    @property
    def rel(self):
        """``"howto/async_safety/unsafe.pycon"``: the path under ``snippets/``."""
        return self.path.relative_to(self.root).as_posix()

    @property
    def include(self):
        """``"snippets/howto/async_safety/unsafe.pycon"``: what a page's include names."""
        return self.path.relative_to(self.root.parent).as_posix()

    @cached_property
    def _variant(self):
        return VARIANT.match(self.path.name)

    @property
    def django(self):
        """The Django release this file is for (``"5.2"``), or None: every release."""
        return self._variant["version"] if self._variant else None

    @property
    def base(self):
        """The name a page includes: ``read_body.pycon`` for ``read_body-django6.0.pycon``."""
        if not self._variant:
            return self.include
        base = self.path.parent / (self._variant["stem"] + SUFFIX)
        return base.relative_to(self.root.parent).as_posix()

    def runs_on(self, django):
        """True if this snippet is for Django ``django`` (``"6.1"``)."""
        return self.django in (None, django)

    def browser_skip(self, browser_django, also=None):
        """Why this snippet cannot run in a browser running Django ``browser_django``; "" if it can.

        ``also``: the other Django releases the browser runtime ships (default:
        requirements/browser-django.txt's); a snippet for one of them runs there.
        """
        if self.options.browser:
            return self.options.browser
        also = other_browser_djangos() if also is None else also
        if not self.runs_on(browser_django) and self.django not in also:
            return f"written for Django {self.django}, and the browser runs Django {browser_django}"
        return ""


def browser_fresh(snippet):
    """How the browser runs ``snippet`` in a fresh interpreter, or None (the warm one).

    A snippet with its own environment (``env``, ``unset``) or ``setup = false``,
    or written for another Django release than the default one, runs, as on a
    server, in a process of its own: in the browser, an
    interpreter restored from the runtime's boot snapshot (browser/pool.mjs).
    Returns ``{"env": {...}, "unset": [...], "setup": bool}``.
    """
    options = snippet.options
    other = snippet.django if snippet.django and snippet.django != browser_django() else None
    if not (options.env or options.unset or not options.setup or other):
        return None
    fresh = {
        "env": {str(k): str(v) for k, v in options.env.items()},
        "unset": list(options.unset),
        "setup": options.setup,
    }
    if other:
        fresh["django"] = other  # on that Django release (browser/pool.mjs)
    return fresh


def _read_options(toml, project):
    """``{file name: dict of options}`` from one ``snippets.toml``, checked."""
    where = toml.relative_to(project)
    try:
        data = tomllib.loads(toml.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise SnippetError(f"{where}: {exc}") from exc
    for name, values in data.items():
        if not isinstance(values, dict):
            raise SnippetError(f'{where}: {name!r} must be a table (["{name}"])')
        if "django" in values:
            raise SnippetError(
                f"{where}: [{name}] has a 'django' key: a snippet's Django version comes "
                "from its file name (NAME-djangoX.Y.pycon), remove the key"
            )
        unknown = set(values) - OPTION_NAMES
        if unknown:
            raise SnippetError(
                f"{where}: [{name}] has unknown keys {sorted(unknown)}; "
                f"allowed: {sorted(OPTION_NAMES)}"
            )
        reason = values.get("browser", "")
        if len(reason) > BROWSER_REASON_MAX:
            raise SnippetError(
                f"{where}: [{name}] browser = {reason!r} is {len(reason)} characters: say it in "
                f'{BROWSER_REASON_MAX} or fewer ("needs real threads"), and explain it in browser_why'
            )
        if values.get("browser_why") and not reason:
            raise SnippetError(f"{where}: [{name}] has browser_why but no browser reason")
        if not (toml.parent / name).is_file() and not list(_variant_files(toml.parent, name)):
            raise SnippetError(
                f"{where}: no snippet {name!r} in {toml.parent.relative_to(project)}"
            )
    return data


def _variant_files(folder, name):
    stem = name.removesuffix(SUFFIX)
    return sorted(folder.glob(f"{stem}-django*{SUFFIX}"))


def load(root=SNIPPETS, versions=DJANGO_VERSIONS):
    """``{rel: Snippet}`` for every snippet under ``root``, checked against the model."""
    snippets, by_folder = {}, {}
    for toml in sorted(root.rglob(OPTIONS_FILE_NAME)):
        by_folder[toml.parent] = _read_options(toml, root.parent)
    for path in sorted(root.rglob(f"*{SUFFIX}")):
        options = by_folder.get(path.parent, {})
        values = {}
        match = VARIANT.match(path.name)
        if match:
            values.update(options.get(match["stem"] + SUFFIX, {}))
            if match["version"] not in versions:
                raise SnippetError(
                    f"{path.relative_to(root.parent)}: Django {match['version']} is not a supported "
                    f"version ({', '.join(versions)})"
                )
        values.update(options.get(path.name, {}))
        snippet = Snippet(path, Options(**values), root)
        snippets[snippet.rel] = snippet
    _check_variants(snippets.values(), versions, root.parent)
    return snippets


def _check_variants(snippets, versions, project):
    by_base = {}
    for snippet in snippets:
        if snippet.django:
            by_base.setdefault(snippet.base, []).append(snippet.django)
    for base, found in by_base.items():
        if (project / base).exists():
            raise SnippetError(f"{base}: a plain file beside its -djangoX.Y variants; keep one")
        missing = [v for v in versions if v not in found]
        if missing:
            raise SnippetError(
                f"{base}: variants for Django {', '.join(sorted(found))} but none for "
                f"{', '.join(missing)}: add {', '.join(base.replace(SUFFIX, f'-django{v}{SUFFIX}') for v in missing)}"
            )


def variants(snippets, base):
    """The snippets a page's include of ``base`` stands for, in version order.

    ``[the snippet]`` for a plain file, one per supported version for a name
    with variants, ``[]`` if there is no such snippet.
    """
    rel = base.removeprefix("snippets/")
    if rel in snippets:
        return [snippets[rel]]
    found = [s for s in snippets.values() if s.django and s.base == base]
    return sorted(found, key=lambda s: DJANGO_VERSIONS.index(s.django))


def browser_django():
    """``"6.1"``: the Django release the browser runtime ships (``requirements/browser.txt``)."""
    text = (ROOT / "requirements" / "browser.txt").read_text(encoding="utf-8")
    match = re.search(r"^django==(\d+\.\d+)", text, re.MULTILINE | re.IGNORECASE)
    if not match:
        raise SnippetError("requirements/browser.txt pins no django==X.Y")
    return match.group(1)


def other_browser_djangos():
    """``["5.2", "6.0"]``: the other Django releases the browser runtime ships.

    From ``requirements/browser-django.txt`` (one ``django==X.Y.Z`` pin per line).
    """
    path = ROOT / "requirements" / "browser-django.txt"
    if not path.exists():
        return []
    text = path.read_text(encoding="utf-8")
    return re.findall(r"^django==(\d+\.\d+)", text, re.MULTILINE | re.IGNORECASE)
