"""guide.site.example_download: the example project's zip, built with the site.

It is unzipped into a temporary folder and the example is run from it as the
Quick start runs it (migrate, the sample data, Django's checks), with nothing
from the repository on the path: a file the example needs and the zip lacks
fails it.
"""

import io
import os
import zipfile

import pytest

from guide.site import example_download, repository
from helpers import manage

PROJECT = f"{example_download.FOLDER}/{repository.EXAMPLE}"


@pytest.fixture(scope="module")
def archive(site_dir):
    path = site_dir / example_download.URL
    assert path.is_file(), f"the built site has no {example_download.URL}"
    return path.read_bytes()


def test_the_sites_zip_is_the_same_bytes_on_every_build(archive):
    assert example_download.build() == archive == example_download.build()


def test_it_holds_the_project_and_its_requirements_and_no_local_state(archive):
    with zipfile.ZipFile(io.BytesIO(archive)) as zipped:
        names = zipped.namelist()
        infos = zipped.infolist()
    assert names == sorted(names)
    assert {i.date_time for i in infos} == {example_download.DATE}
    for needed in (
        f"{example_download.FOLDER}/requirements/example.txt",
        f"{example_download.FOLDER}/requirements/example-tests.txt",
        f"{PROJECT}/pytest.ini",
        f"{PROJECT}/tests/conftest.py",
        f"{PROJECT}/manage.py",
        f"{PROJECT}/mysite/settings.py",
        f"{PROJECT}/polls/fixtures/sample_questions.json",
        f"{PROJECT}/polls/migrations/0001_initial.py",
    ):
        assert needed in names, needed
    local = [n for n in names if "__pycache__" in n or n.endswith((".pyc", ".sqlite3", ".env"))]
    assert not local, local
    assert all(n.startswith(f"{example_download.FOLDER}/") for n in names)


def test_the_example_runs_from_the_unzipped_download(archive, tmp_path):
    with zipfile.ZipFile(io.BytesIO(archive)) as zipped:
        zipped.extractall(tmp_path)
    project = tmp_path / PROJECT
    # Nothing of the repository's copy of the example, nor of the tests' settings.
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "MYSITE_")) and k != "PYTHONPATH"
    }
    manage(project, env, ["migrate"], ["loaddata", "sample_questions", "sample_choices"], ["check"])
    assert (project / "db.sqlite3").is_file(), "the database is the unzipped project's own"
