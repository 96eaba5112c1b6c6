"""guide.requirements: the one reader of the pinned requirements files."""

import pytest

from guide import requirements


def test_pins_are_read_from_every_file():
    found = requirements.pins()
    assert found["django"].startswith("6.1.")  # browser.txt pins the runtime's Django
    assert requirements.pins(["servers.txt"])["gunicorn"]


def test_a_bad_hash_pinned_line_is_named_by_the_line_it_starts_on(tmp_path):
    path = tmp_path / "r.txt"
    path.write_text(
        "# pins\n"
        "django==5.2.19 \\\n"
        "    --hash=sha256:aa \\\n"
        "    --hash=sha256:bb\n"
        "uvicorn==1.0 \\\n"
        "    --no-binary=:all:\n"
    )
    with pytest.raises(requirements.RequirementsError, match=rf"^{path}:5: .*'uvicorn==1.0'"):
        requirements.hash_pins(path)


def test_hash_pinned_lines_keep_every_hash(tmp_path):
    path = tmp_path / "r.txt"
    path.write_text("django==5.2.19 \\\n    --hash=sha256:aa \\\n    --hash=sha256:bb\n")
    assert requirements.hash_pins(path) == [("django", "5.2.19", {"aa", "bb"})]
    with pytest.raises(requirements.RequirementsError, match="every line needs uvicorn=="):
        requirements.hash_pins(path, only="uvicorn")
