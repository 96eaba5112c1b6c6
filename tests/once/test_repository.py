"""guide.site.repository: the repository's URL checked, its files, and each one's page."""

import pytest

from guide.site import repository


@pytest.mark.parametrize(
    ("url", "checked"),
    [
        ("https://github.com/owner/repo", "https://github.com/owner/repo"),
        ("https://github.com/owner/repo/", "https://github.com/owner/repo"),
        ("https://github.com/owner/repo.git", "https://github.com/owner/repo"),
        ("http://git.example.org/team/guide", "http://git.example.org/team/guide"),
    ],
)
def test_repository_url_accepts_http_urls_of_a_repository(url, checked):
    assert repository.check(url) == checked


@pytest.mark.parametrize(
    "url",
    [
        "github.com/owner/repo",
        "git@github.com:owner/repo.git",
        "https://github.com/",
        "https://github.com/owner",
        "https://github.com/owner/repo?tab=readme",
        "https:///owner/repo",
        "https://github.com/owner/my repo",
        "",
    ],
)
def test_repository_url_refuses_anything_else_in_one_line(url, capsys):
    with pytest.raises(repository.RepoURLError):
        repository.check(url)
    assert repository.main([url]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "is not http(s)://host/owner/name" in err, err


def test_the_branch_is_edit_uris():
    assert repository.branch("edit/main/docs/") == "main"
    with pytest.raises(repository.RepoURLError):
        repository.branch("docs/")


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("examples/mysite/polls/views.py", ("examples/mysite/polls/views.py", False)),
        ("polls/views.py", ("examples/mysite/polls/views.py", False)),
        ("bench/results/", ("bench/results", True)),
        ("noxfile.py", ("noxfile.py", False)),
        ("noxfile.py/", None),  # a file is not a folder
        ("manage.py", None),  # a name, not a path: the example's is polls/.. or mysite/..
        ("examples/mysite/db.sqlite3", None),  # ignored by git: not in a clone
        ("django/db/transaction.py", None),
        ("/polls/", None),
        ("../x", None),
    ],
)
def test_resolve(text, found):
    assert repository.resolve(text) == found


def test_files_are_what_a_clone_has():
    files = repository.files()
    assert "examples/mysite/manage.py" in files and "mkdocs.yml" in files
    assert not any("__pycache__" in p or p.endswith(".pyc") for p in files)
    assert "examples/mysite" in repository.folders() and "." not in repository.folders()
