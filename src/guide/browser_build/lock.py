"""The runtime's ``pyodide-lock.json``: Pyodide's own lock, with the guide's wheels in it.

Each shipped wheel gets an entry with its sha256 and its dependencies as
Pyodide evaluates their markers (:data:`MARKER_ENV`, checked against the
upstream lock's Python version), so ``loadPackage`` installs them without
asking an index.
"""

import json
import zipfile
from pathlib import Path

from packaging.markers import Marker
from packaging.metadata import Metadata
from packaging.utils import canonicalize_name

from guide.browser_build.pins import REQUIREMENTS, wheel_name
from guide.paths import ROOT

UPSTREAM_LOCK = ROOT / "node_modules" / "pyodide" / "pyodide-lock.json"

MARKER_ENV = {
    "implementation_name": "cpython",
    "implementation_version": "3.14.2",
    "os_name": "posix",
    "platform_machine": "wasm32",
    "platform_python_implementation": "CPython",
    "platform_release": "5.0.3",
    "platform_system": "Emscripten",
    "platform_version": "#1",
    "python_full_version": "3.14.2",
    "python_version": "3.14",
    "sys_platform": "emscripten",
    "extra": "",
}


def marker_applies(marker):
    """Whether a PEP 508 marker holds in Pyodide (:data:`MARKER_ENV`).

    Raises ``packaging.markers.InvalidMarker`` for text that is not a marker.
    """
    return Marker(marker).evaluate(MARKER_ENV)


def wheel_metadata(path):
    """The ``packaging.metadata.Metadata`` of a wheel (its ``.dist-info/METADATA``)."""
    with zipfile.ZipFile(path) as z:
        name = next(n for n in z.namelist() if n.endswith(".dist-info/METADATA"))
        return Metadata.from_email(z.read(name), validate=False)


def wheel_depends(path):
    """The canonical names a wheel requires in Pyodide (no extras, markers evaluated)."""
    names = set()
    for requirement in wheel_metadata(path).requires_dist or []:
        if requirement.marker is None or requirement.marker.evaluate(MARKER_ENV):
            names.add(canonicalize_name(requirement.name))
    return sorted(names)


def lock_spec(source_wheels, shipped_wheels, upstream=UPSTREAM_LOCK):
    """pyodide-lock's spec of our packages only, pointing at *shipped_wheels*.

    *source_wheels* are the wheels before compilation (their ``.py`` files give
    the imports); *shipped_wheels* are the files served next to the lock, one
    per source wheel (the same wheel when nothing was compiled).
    """
    from pyodide_lock import PyodideLockSpec
    from pyodide_lock.utils import add_wheels_to_spec, update_package_sha256

    upstream_spec = PyodideLockSpec.from_json(Path(upstream))
    if upstream_spec.info.python != MARKER_ENV["python_full_version"]:
        raise SystemExit(
            f"{upstream} is for Python {upstream_spec.info.python}: "
            f"update MARKER_ENV in {__name__} (it says {MARKER_ENV['python_full_version']})"
        )
    source_wheels = [Path(w) for w in source_wheels]
    spec = add_wheels_to_spec(upstream_spec, source_wheels, base_path=source_wheels[0].parent)
    shipped = {wheel_name(w): Path(w) for w in shipped_wheels}
    if set(shipped) != {wheel_name(w) for w in source_wheels}:
        raise SystemExit(f"shipped wheels {sorted(shipped)} do not match the source wheels")
    packages = {}
    for source in source_wheels:
        name = wheel_name(source)
        package = spec.packages[name]
        missing = set(package.depends) - set(shipped)
        if missing:
            raise SystemExit(f"{source.name} requires {sorted(missing)}, not in {REQUIREMENTS}")
        if sorted(package.depends) != wheel_depends(source):
            raise SystemExit(
                f"{source.name}: pyodide-lock's depends {package.depends} differ from "
                f"{wheel_depends(source)} (MARKER_ENV)"
            )
        package.depends = sorted(package.depends)
        package.imports = sorted(package.imports)
        package.file_name = shipped[name].name
        packages[name] = update_package_sha256(package, shipped[name])
    spec.packages = dict(sorted(packages.items()))
    return spec


def write_lock(out, source_wheels, shipped_wheels, upstream=UPSTREAM_LOCK):
    """Write OUTDIR/pyodide/pyodide-lock.json; return it as a dict."""
    lock = lock_spec(source_wheels, shipped_wheels, upstream).to_dict()
    (Path(out) / "pyodide-lock.json").write_text(json.dumps(lock, indent=1, sort_keys=True) + "\n")
    return lock
