"""The third-party package table: measured again here, so it cannot drift from what they do.

``bench/results/packages.json`` is written by ``bench/packages.py`` (``nox -s
bench_packages``); ``docs/howto/packages.md`` shows it. Here each package of
:data:`REMEASURED` is measured again, as the script measures it, and what it
recorded must equal what the file says; the others are checked by their pins.
"""

import importlib.util
import re
from importlib import metadata

import pytest

from guide import requirements
from guide.paths import ROOT
from guide.services.redis import RedisServer
from guide.site import markers
from guide.site.tables import packages as table

spec = importlib.util.spec_from_file_location("bench_packages", ROOT / "bench" / "packages.py")
bench = importlib.util.module_from_spec(spec)
spec.loader.exec_module(bench)

DATA = markers.load("packages.json")
BY_NAME = {package["package"]: package for package in DATA["packages"]}

REMEASURED = bench.PACKAGES
"""Every package: each takes a few seconds, in a process of its own."""


@pytest.fixture(scope="module")
def redis_url():
    with RedisServer() as redis:
        yield redis.url


def test_the_file_covers_every_package_the_script_measures():
    assert list(BY_NAME) == bench.PACKAGES
    assert set(REMEASURED) <= set(BY_NAME)


def test_each_version_is_the_pinned_one_and_the_installed_one():
    pins = requirements.pins(["packages.txt", "example.txt"])
    for name, package in BY_NAME.items():
        assert package["version"] == pins[name], name
        assert metadata.version(name) == package["version"], name


def test_it_was_measured_on_the_django_series_tested_here():
    series = re.match(r"\d+\.\d+", metadata.version("django"))[0]
    assert DATA["django"].startswith(series + "."), (DATA["django"], series)


@pytest.mark.parametrize("name", REMEASURED)
def test_what_the_file_says_is_what_the_package_does_now(name, redis_url):
    measured = bench.run(name, redis_url)
    assert measured == BY_NAME[name]


def test_the_table_has_a_row_for_every_package_and_request():
    text = table.render(DATA)
    rows = [line for line in text.splitlines() if line.startswith("| ")][1:]
    assert len(rows) == sum(len(package["checks"]) for package in DATA["packages"])
    for package in DATA["packages"]:
        assert f"| {package['package']} {package['version']} |" in text
        for check in package["checks"]:
            assert f"`{check['path']}`" in text


def test_a_failure_and_a_warning_reach_the_table():
    failing = [c for p in DATA["packages"] for c in p["checks"] if c["errors"] or c["warnings"]]
    assert failing  # the table shows at least one, from the measurement
    text = table.render(DATA)
    for check in failing:
        for message in check["errors"] + check["warnings"]:
            assert table._cell(message) in text


def test_the_table_is_shown_whatever_the_load(tmp_path, monkeypatch):
    assert "machine" not in DATA  # behaviour, not speed: no load recorded, none needed
    page = f"Intro.\n\n{table.MARKER}\n"
    assert table.render(DATA) in markers.fill(page, "docs/howto/packages.md", markers.all_tables())


def test_the_built_page_shows_every_package(site_dir):
    html = (site_dir / "howto" / "packages" / "index.html").read_text(encoding="utf-8")
    assert "<table>" in html
    for package in DATA["packages"]:
        assert f"{package['package']} {package['version']}" in html, package["package"]
