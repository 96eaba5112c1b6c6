"""guide.outdated (``nox -s outdated``) reads every pin; the look-ups themselves are not run here."""

import json

from guide import outdated
from guide.paths import DJANGO_VERSIONS, ROOT


def test_it_reads_each_django_series_and_pyodide_as_locked():
    django = [version for name, version in outdated.pip_pins() if name == "django"]
    assert sorted(v.rsplit(".", 1)[0] for v in django) == sorted(DJANGO_VERSIONS)
    package = json.loads((ROOT / "package.json").read_text())
    assert ("pyodide", package["dependencies"]["pyodide"]) in outdated.npm_pins()


def test_newer_compares_versions_not_strings():
    assert outdated.newer("0.9.0", "0.10.0")
    assert not outdated.newer("13.1", "13.1.0")
