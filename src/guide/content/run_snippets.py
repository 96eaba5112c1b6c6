"""Run snippets on the installed Django, each as a doctest in a fresh process.

    python -m guide.content.run_snippets snippets/howto/async_safety/unsafe.pycon
    python -m guide.content.run_snippets            # every snippet for this Django

In a nox session's environment: ``nox -s "tests(django6.1)" -- tests/django/test_snippets.py -k unsafe``.
"""

import sys
import tempfile
from pathlib import Path

from guide.content.doctests import run_snippet
from guide.paths import SNIPPETS


def main(argv):
    import django

    from guide.content import snippets as model
    from guide.services.processes import migrated_database

    everything = model.load()
    version = django.get_version().rsplit(".", 1)[0]
    chosen = []
    for name in argv or [str(s.path) for s in everything.values()]:
        path = Path(name).resolve()
        if (
            not path.is_relative_to(SNIPPETS)
            or path.relative_to(SNIPPETS).as_posix() not in everything
        ):
            print(f"not a snippet: {name} (expected a .pycon file under {SNIPPETS})")
            return 2
        chosen.append(everything[path.relative_to(SNIPPETS).as_posix()])
    database = migrated_database(Path(tempfile.mkdtemp(prefix="snippets-")) / "db.sqlite3")
    status = 0
    for snippet in chosen:
        if not snippet.runs_on(version):
            print(f"skip {snippet.rel}: for Django {snippet.django}, this is {version}")
            continue
        ok, output = run_snippet(snippet, database)
        print(("ok   " if ok else "FAIL ") + snippet.rel)
        if not ok:
            print(output)
            status = 1
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
