"""Every snippet under snippets/ runs, and its doctest output matches, on this Django."""

import django
import pytest

from guide.content import snippets as model
from guide.content.doctests import run_snippet
from guide.paths import DJANGO_VERSIONS, ROOT

SNIPPETS_BY_REL = model.load()
DJANGO = django.get_version().rsplit(".", 1)[0]  # "6.1.3" -> "6.1"; "5.2.19" -> "5.2"


def snippet_params():
    """One test per snippet that is for this Django; the other versions' variants aren't collected."""
    for rel, snippet in SNIPPETS_BY_REL.items():
        if snippet.runs_on(DJANGO):
            yield pytest.param(snippet, id=rel)


@pytest.mark.parametrize("snippet", list(snippet_params()))
def test_snippet(snippet, database):
    ok, output = run_snippet(snippet, database)
    assert ok, f"{snippet.rel} failed on Django {django.get_version()}:\n{output}"


def test_this_django_is_a_supported_version():
    assert DJANGO in DJANGO_VERSIONS


def test_there_are_snippets():
    assert len(SNIPPETS_BY_REL) >= 10


def test_a_failing_snippet_fails_with_its_output(database, tmp_path):
    """The runner reports a doctest mismatch, with the got/expected output, as a failure."""
    path = tmp_path / "failing.pycon"
    path.write_text(">>> 1 + 1\n3\n")
    ok, output = run_snippet(model.Snippet(path), database)
    assert not ok
    assert "Expected:\n    3\nGot:\n    2" in output


def test_a_snippet_past_its_timeout_is_killed(database, tmp_path):
    path = tmp_path / "slow.pycon"
    path.write_text(">>> import time; time.sleep(30)\n")
    ok, output = run_snippet(model.Snippet(path, model.Options(timeout=1)), database)
    assert not ok and output.startswith("timed out after 1 s")


def _tree(tmp_path, files):
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    return tmp_path


def test_versions_come_from_the_file_name(tmp_path):
    root = _tree(
        tmp_path / "snippets",
        {
            "a/x-django5.2.pycon": ">>> 1\n1\n",
            "a/x-django6.0.pycon": ">>> 1\n1\n",
            "a/x-django6.1.pycon": ">>> 1\n1\n",
            "a/y.pycon": ">>> 1\n1\n",
            "a/snippets.toml": '["x.pycon"]\nbrowser = "why"\n["x-django6.1.pycon"]\ntimeout = 5\n',
        },
    )
    found = model.load(root, ["5.2", "6.0", "6.1"])
    assert {rel: s.django for rel, s in found.items()} == {
        "a/x-django5.2.pycon": "5.2",
        "a/x-django6.0.pycon": "6.0",
        "a/x-django6.1.pycon": "6.1",
        "a/y.pycon": None,
    }
    assert found["a/x-django6.1.pycon"].options == model.Options(browser="why", timeout=5)
    assert found["a/x-django5.2.pycon"].options == model.Options(browser="why")
    assert found["a/y.pycon"].browser_skip("6.1") == ""
    bare = model.Snippet(root / "a/x-django5.2.pycon", root=root)
    assert bare.browser_skip("6.1", also=()) == (
        "written for Django 5.2, and the browser runs Django 6.1"
    )
    assert bare.browser_skip("6.1", also=["5.2"]) == ""
    assert model.browser_fresh(bare)["django"] == "5.2"
    assert [s.rel for s in model.variants(found, "snippets/a/x.pycon")] == [
        "a/x-django5.2.pycon",
        "a/x-django6.0.pycon",
        "a/x-django6.1.pycon",
    ]


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ({"x-django5.2.pycon": "", "x-django6.1.pycon": ""}, "none for 6.0"),
        ({"x-django4.2.pycon": ""}, "Django 4.2 is not a supported version"),
        ({"x.pycon": "", "snippets.toml": '["x.pycon"]\ndjango = ["6.1"]\n'}, "'django' key"),
        ({"x.pycon": "", "snippets.toml": '["x.pycon"]\nbrowsr = "typo"\n'}, "unknown keys"),
        ({"x.pycon": "", "snippets.toml": '["gone.pycon"]\nsetup = false\n'}, "no snippet"),
        ({"x.pycon": "", "snippets.toml": "[oops\n"}, "snippets.toml"),
    ],
)
def test_the_model_refuses_what_it_cannot_run(tmp_path, files, message):
    root = _tree(tmp_path / "snippets", {f"a/{name}": text for name, text in files.items()})
    with pytest.raises(model.SnippetError, match=message):
        model.load(root, ["5.2", "6.0", "6.1"])


def test_every_variant_set_covers_the_supported_versions():
    """The real snippets: a name with variants has one per supported version, in order."""
    bases = {s.base for s in SNIPPETS_BY_REL.values() if s.django}
    assert bases, "no version-specific snippets found"
    for base in bases:
        found = model.variants(SNIPPETS_BY_REL, base)
        assert [s.django for s in found] == DJANGO_VERSIONS, base
        assert not (ROOT / base).exists()


def test_stderr_must_be_what_the_snippet_declares(database, tmp_path):
    path = tmp_path / "noisy.pycon"
    path.write_text('>>> import sys; print("careful", file=sys.stderr)\n')
    ok, output = run_snippet(model.Snippet(path), database)
    assert not ok and "expected stderr to be empty" in output
    declared = model.Snippet(path, model.Options(stderr=r"care\w+\n"))
    assert run_snippet(declared, database) == (True, "--- stderr ---\ncareful\n")


def test_a_snippet_process_starts_with_what_django_setup_imports_and_no_settings(
    database, tmp_path
):
    """The fork server has imported the set-up modules that import without settings
    (guide.browser_build.preload), as the browser's memory snapshot has; settings stay unread."""
    path = tmp_path / "state.pycon"
    path.write_text(
        ">>> import sys\n"
        ">>> 'django.contrib.admin.options' in sys.modules\n"
        "True\n"
        ">>> 'django.db.backends.sqlite3.base' in sys.modules\n"
        "True\n"
        ">>> 'django.contrib.auth.models' in sys.modules  # models need the settings\n"
        "False\n"
        ">>> from django.conf import settings\n"
        ">>> settings.configured\n"
        "False\n"
    )
    ok, output = run_snippet(model.Snippet(path, model.Options(setup=False)), database)
    assert ok, output
