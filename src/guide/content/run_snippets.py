"""Run snippets on the installed Django, each as a doctest in a fresh process.

    python -m guide.content.run_snippets snippets/howto/async_safety/unsafe.pycon
    python -m guide.content.run_snippets            # every snippet for this Django
    python -m guide.content.run_snippets --update snippets/howto/x.pycon   # rewrite outputs

``--update`` writes what each example printed in place of the expected output
that differs (:mod:`guide.content.update_outputs`), then runs the snippet again;
review the result with ``git diff snippets/``. A variant for another Django
(``NAME-django5.2.pycon``) is updated only on that Django.

In a nox session's environment: ``nox -s "tests(django6.1)" -- tests/django/test_snippets.py -k unsafe``;
in its virtualenv: ``.nox/tests-django6-1/bin/python -m guide.content.run_snippets ...``.
"""

import argparse
import sys
import tempfile
from pathlib import Path

from guide.content.doctests import run_snippet
from guide.paths import SNIPPETS


def main(argv, root=SNIPPETS):
    import django

    from guide.content import snippets as model
    from guide.content.update_outputs import update_snippet
    from guide.services.processes import migrated_database

    parser = argparse.ArgumentParser(
        prog="python -m guide.content.run_snippets", description=__doc__.split("\n")[0]
    )
    parser.add_argument(
        "--update",
        action="store_true",
        help="rewrite the expected outputs that differ from this run (then review git diff)",
    )
    parser.add_argument("paths", nargs="*", help="snippet files (default: all of them)")
    args = parser.parse_args(argv)
    everything = model.load(root)
    version = django.get_version().rsplit(".", 1)[0]
    chosen = []
    for name in args.paths or [str(s.path) for s in everything.values()]:
        path = Path(name).resolve()
        if not path.is_relative_to(root) or path.relative_to(root).as_posix() not in everything:
            print(f"not a snippet: {name} (expected a .pycon file under {root})")
            return 2
        chosen.append(everything[path.relative_to(root).as_posix()])
    database = migrated_database(Path(tempfile.mkdtemp(prefix="snippets-")) / "db.sqlite3")
    status, updated = 0, []
    for snippet in chosen:
        if not snippet.runs_on(version):
            print(f"skip {snippet.include}: for Django {snippet.django}, this is {version}")
            if args.update:
                venv = f".nox/tests-django{snippet.django.replace('.', '-')}"
                print(
                    f"  (update it on Django {snippet.django}: {venv}/bin/python "
                    f"-m guide.content.run_snippets --update {snippet.include})"
                )
            continue
        if args.update:
            result = update_snippet(snippet, database)
            print(result.summary())
            updated += result.updated and [snippet.include]
            status = 1 if result.problems else status
            continue
        ok, output = run_snippet(snippet, database)
        print(("ok   " if ok else "FAIL ") + snippet.rel)
        if not ok:
            print(output)
            status = 1
    if updated:
        print(f"\n{len(updated)} snippet(s) rewritten: review with git diff {' '.join(updated)}")
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
