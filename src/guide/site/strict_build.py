"""The site's one build command: ``python -m guide.site.strict_build [-f CONFIG] OUT``.

``mkdocs build --strict -d OUT``, which fails on any warning (a broken link, a
missing anchor, an include it cannot find), printing MkDocs' warnings and errors
but not its progress lines. Never with ``--quiet``: MkDocs counts the warnings
that ``--strict`` turns into a failure as its logger emits them, and ``--quiet``
raises that logger's level to errors only, so a ``--strict --quiet`` build let
every warning pass (a page linking to a missing page built with exit code 0).
The noxfile and the tests build the site with this command.
"""

import argparse
import subprocess
import sys


def command(out, config=None):
    """The ``mkdocs build`` command line for ``out`` (and ``config``, else ./mkdocs.yml)."""
    argv = [sys.executable, "-m", "mkdocs", "build", "--strict", "-d", str(out)]
    return argv + (["-f", str(config)] if config else [])


def build(out, config=None, env=None, cwd=None):
    """Run the build; return ``(exit code, its warnings and errors as text)``."""
    done = subprocess.run(command(out, config), capture_output=True, text=True, env=env, cwd=cwd)
    lines = (done.stdout + done.stderr).splitlines()
    kept = [line for line in lines if not line.startswith("INFO")]
    return done.returncode, "\n".join(kept)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m guide.site.strict_build")
    parser.add_argument("out", help="the folder to build the site into")
    parser.add_argument("-f", "--config-file", help="mkdocs.yml (default: ./mkdocs.yml)")
    args = parser.parse_args(argv)
    code, report = build(args.out, args.config_file)
    if report.strip():
        print(report, file=sys.stderr if code else sys.stdout)
    return 1 if code else 0


if __name__ == "__main__":
    sys.exit(main())
