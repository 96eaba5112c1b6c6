"""What the built site says about itself to machines: verified.json, llms.txt, llms-full.txt.

``verified.json`` must list every snippet the pages show (as
:mod:`guide.content.pages` reads their includes, a name with variants standing
for each of them), each with the Django releases of the one version list it
runs on (a ``-djangoX.Y`` variant on its own only), the Python each is tested
with, and the pytest id that runs it, which ``tests/django/test_snippets.py``
must collect. Each runnable block shows the same releases in its quiet line.
"""

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from guide.content import pages
from guide.content import snippets as model
from guide.paths import DJANGO_VERSIONS, MATRIX, ROOT

VARIANT = re.compile(r"-django(\d+\.\d+)\.pycon$")


def _expected_shown():
    """``{include path: {page URL}}`` from the pages' own includes, variants expanded."""
    snippets = model.load()
    shown = {}
    for page in pages.pages():
        for _, include in pages.doctest_includes(page):
            for snippet in model.variants(snippets, include.path):
                shown.setdefault(snippet.include, set()).add(pages.url_of(page))
    return shown


def _releases(include):
    variant = VARIANT.search(include)
    return [variant.group(1)] if variant else list(DJANGO_VERSIONS)


@pytest.fixture(scope="module")
def verified(site_dir):
    path = site_dir / "verified.json"
    assert path.is_file(), f"{path} was not written by the build"
    return json.loads(path.read_text(encoding="utf-8"))


def test_verified_lists_every_snippet_the_pages_show(verified):
    expected = _expected_shown()
    listed = {entry["snippet"]: set(entry["pages"]) for entry in verified["snippets"]}
    assert listed == expected
    assert len(listed) >= 50
    assert any(VARIANT.search(name) for name in listed), "no version variant listed"


def _session(django):
    """nox -s docs runs every snippet on the default (last) Django; tests(djangoX.Y) the rest."""
    return "docs" if django == MATRIX[-1][0] else f"tests(django{django})"


def test_verified_names_the_versions_python_and_test(verified):
    python_of = dict(MATRIX)
    assert verified["matrix"] == [{"django": d, "python": p} for d, p in MATRIX]
    for entry in verified["snippets"]:
        releases = _releases(entry["snippet"])
        assert entry["django"] == releases, entry["snippet"]
        assert entry["tested_on"] == [
            {"django": d, "python": python_of[d], "nox_session": _session(d)} for d in releases
        ], entry["snippet"]
        rel = entry["snippet"].removeprefix("snippets/")
        assert entry["test"] == f"tests/django/test_snippets.py::test_snippet[{rel}]"


def test_verified_test_ids_are_the_ones_pytest_collects(verified):
    """The ids for this Django are exactly what ``tests/django/test_snippets.py`` collects."""
    import django

    here = django.get_version().rsplit(".", 1)[0]
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider"]
        + ["tests/django/test_snippets.py"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    collected = set(result.stdout.split())
    ours = {e["test"] for e in verified["snippets"] if here in e["django"]}
    assert ours and ours <= collected, sorted(ours - collected)[:5]


def test_each_runnable_block_says_what_it_is_tested_on(site_dir):
    """One quiet line after each runnable block, naming its releases."""
    seen = 0
    for page in pages.pages():
        html = (site_dir / pages.url_of(page) / "index.html").read_text(encoding="utf-8")
        blocks = re.findall(r'<div class="runnable"[^>]*\sdata-snippet="([^"]+)"', html)
        lines = re.findall(r'<p class="tested-on">([^<]*)</p>', html)
        assert len(lines) == len(blocks), page.name
        for rel, line in zip(blocks, lines, strict=True):
            assert line == "Tested on Django " + ", ".join(_releases(rel)), (page.name, rel)
        seen += len(blocks)
    assert seen >= 50


def test_llms_txt_names_the_pages_by_nav_section(site_dir):
    text = (site_dir / "llms.txt").read_text(encoding="utf-8")
    assert text.startswith("# Django on ASGI")
    sections = re.findall(r"^## (.+)$", text, re.MULTILINE)
    assert sections[:3] == ["Home", "Tutorial", "How-to guides"]
    assert {"Servers", "Explanation", "Reference", "Troubleshooting"} <= set(sections)
    assert "verified.json" in text
    for page in pages.pages():
        md = pages.url_of(page) + "index.md"
        assert f"/{md})" in text, f"llms.txt does not link {md}"
        assert (site_dir / md).is_file(), md


def test_llms_full_txt_holds_every_page(site_dir):
    full = (site_dir / "llms-full.txt").read_text(encoding="utf-8")
    for page in pages.pages():
        title = re.search(r"^# (.+)$", page.read_text(encoding="utf-8"), re.MULTILINE)
        if title:
            assert title.group(1).strip() in full, f"llms-full.txt lacks {Path(page).name}"
    assert "Tested on Django 5.2, 6.0, 6.1" in full
