"""The in-browser runtime's wheels: read from the hash-pinned requirements, downloaded, verified.

``requirements/browser.txt`` pins every wheel Pyodide installs (with its
sha256), ``requirements/browser-django.txt`` the other supported Django
releases; ``pip download --require-hashes`` fetches each once into a cache,
for Pyodide's CPython whatever Python runs the build.
"""

import hashlib
import subprocess
import sys
from pathlib import Path

from packaging.utils import canonicalize_name, parse_wheel_filename

from guide import requirements
from guide.paths import ROOT

REQUIREMENTS = ROOT / "requirements" / "browser.txt"
OTHER_DJANGOS = ROOT / "requirements" / "browser-django.txt"


def log(message):
    print(f"[build] {message}", flush=True)


def sha256_file(path):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def wheel_name(path):
    """The canonical project name of a wheel, from its file name."""
    return canonicalize_name(parse_wheel_filename(Path(path).name)[0])


def _hash_pins(path, only=None):
    """:func:`guide.requirements.hash_pins`, its error as the build's exit message."""
    try:
        return requirements.hash_pins(path, only)
    except requirements.RequirementsError as exc:
        raise SystemExit(str(exc)) from None


def read_requirements(path=REQUIREMENTS):
    """``{canonical name: (version, {sha256, ...})}`` from a hash-pinned requirements file."""
    return {name: (version, hashes) for name, version, hashes in _hash_pins(path)}


def read_other_djangos(path=OTHER_DJANGOS):
    """``{"5.2": ("5.2.19", {sha256, ...})}``: the pins of requirements/browser-django.txt."""
    if not Path(path).exists():
        return {}
    found = {}
    for _, version, hashes in _hash_pins(path, only="django"):
        found[".".join(version.split(".")[:2])] = (version, hashes)
    return found


def pip_download(requirements, cache):
    """``pip download --require-hashes -r requirements`` of wheels for Pyodide, into ``cache``."""
    command = [
        sys.executable, "-m", "pip", "download", "--quiet", "--disable-pip-version-check",
        "--no-deps", "--only-binary=:all:", "--require-hashes",
        # The wheels are for Pyodide's CPython 3.14, whatever runs this script.
        "--python-version", "3.14", "--implementation", "py", "--abi", "none",
        "--platform", "any", "-r", str(requirements), "-d", str(cache),
    ]  # fmt: skip
    subprocess.run(command, check=True)


def download_other_djangos(cache):
    """Download (or reuse) requirements/browser-django.txt's wheels: ``{"5.2": verified path}``."""
    found = {}
    for minor, (version, hashes) in read_other_djangos().items():
        pin = cache / f"django-{version}.txt"
        pin.write_text(f"django=={version} " + " ".join(f"--hash=sha256:{h}" for h in hashes))
        log(f"pip download --require-hashes django=={version}")
        pip_download(pin, cache)
        wheel = next(cache.glob(f"[Dd]jango-{version}-*.whl"))
        if sha256_file(wheel) not in hashes:
            raise SystemExit(f"{wheel}: sha256 is not pinned in {OTHER_DJANGOS}")
        found[minor] = wheel
    return found


def download_wheels(cache):
    """Download (or reuse) the pinned wheels; return ``{name: verified path}``."""
    cache.mkdir(parents=True, exist_ok=True)
    pins = read_requirements()
    log("pip download --require-hashes -r requirements/browser.txt")
    pip_download(REQUIREMENTS, cache)
    found = {}
    for wheel in cache.glob("*.whl"):
        name, version, _, _ = parse_wheel_filename(wheel.name)
        name = canonicalize_name(name)
        if name in pins and str(version) == pins[name][0]:
            digest = sha256_file(wheel)
            if digest not in pins[name][1]:
                raise SystemExit(f"{wheel}: sha256 {digest} is not pinned in {REQUIREMENTS}")
            found[name] = wheel
    missing = set(pins) - set(found)
    if missing:
        raise SystemExit(f"pip did not download: {', '.join(sorted(missing))}")
    log(f"verified sha256 of {len(found)} wheels")
    return found
