"""``python -m guide.outdated``: the pinned packages that have newer releases (``nox -s outdated``).

It asks the package indexes this machine is set up for, through their own
clients: ``pip index versions NAME`` for each ``name==version`` pin of
``requirements/*.txt``, ``npm view NAME version`` for each direct npm
dependency at the version ``package-lock.json`` locks (Pyodide among them: its
npm package is the runtime's version). One line per outdated package: name,
pinned, newest. A name pinned once per Django series (``django``) is compared
within its series. Exit status 0 either way; 1 if a look-up failed.
"""

import json
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

from packaging.version import InvalidVersion, Version

from guide import requirements
from guide.paths import ROOT


def pip_pins():
    """``[(name, version)]`` of every ``name==version`` line, each pair once."""
    found = []
    for path in sorted(requirements.FOLDER.glob("*.txt")):
        for line in requirements.lines(path):
            if line.exact is not None and (line.name, line.exact) not in found:
                found.append((line.name, line.exact))
    return found


def npm_pins():
    """``[(name, version)]`` of package.json's direct dependencies, as package-lock.json locks them."""
    package = json.loads((ROOT / "package.json").read_text(encoding="utf-8"))
    lock = json.loads((ROOT / "package-lock.json").read_text(encoding="utf-8"))["packages"]
    names = [*package.get("dependencies", {}), *package.get("devDependencies", {})]
    return [(name, lock[f"node_modules/{name}"]["version"]) for name in names]


def pip_versions(name):
    """The final releases the configured index has for ``name``, newest first."""
    result = subprocess.run(
        [sys.executable, "-m", "pip", "index", "versions", name, "--disable-pip-version-check"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    for line in result.stdout.splitlines():
        if line.startswith("Available versions:"):
            return [v.strip() for v in line.split(":", 1)[1].split(",")]
    raise LookupError(f"pip index versions {name}: {(result.stderr or result.stdout).strip()}")


def npm_latest(name):
    result = subprocess.run(
        ["npm", "view", name, "version"], capture_output=True, text=True, timeout=120
    )
    if result.returncode != 0 or not result.stdout.strip():
        raise LookupError(f"npm view {name} version: {result.stderr.strip()}")
    return result.stdout.strip()


def newer(pinned, newest):
    try:
        return Version(newest) > Version(pinned)
    except InvalidVersion:
        return newest != pinned


def newest_pip(name, pinned, series):
    """The newest release of ``name``; within ``pinned``'s X.Y when ``series``."""
    versions = pip_versions(name)
    if series:
        prefix = Version(pinned).release[:2]
        versions = [v for v in versions if Version(v).release[:2] == prefix] or versions
    return versions[0]


def outdated():
    """``([(name, pinned, newest)], [error])`` over the pip and the npm pins."""
    pip = pip_pins()
    counts = {}
    for name, _ in pip:
        counts[name] = counts.get(name, 0) + 1
    jobs = [
        (name, pinned, lambda n=name, p=pinned: newest_pip(n, p, counts[n] > 1))
        for name, pinned in pip
    ] + [(name, pinned, lambda n=name: npm_latest(n)) for name, pinned in npm_pins()]

    def look_up(job):
        name, pinned, newest = job
        try:
            return name, pinned, newest(), None
        except (LookupError, OSError, subprocess.TimeoutExpired, InvalidVersion) as error:
            return name, pinned, None, str(error)

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(look_up, jobs))
    found = [(n, p, new) for n, p, new, err in results if err is None and newer(p, new)]
    return found, [err for *_, err in results if err is not None], len(jobs)


def main():
    found, errors, checked = outdated()
    width = max([len(name) for name, _, _ in found] + [4])
    for name, pinned, newest in found:
        print(f"{name:<{width}}  {pinned:<12}  {newest}")
    for error in errors:
        print(f"could not look up: {error}", file=sys.stderr)
    print(f"{len(found)} of {checked} pinned packages have a newer release", file=sys.stderr)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
