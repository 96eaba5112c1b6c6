"""guide.site.strict_build: the site's one build command fails on any warning."""

from guide.site import strict_build


def _project(tmp_path, page):
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "index.md").write_text(page)
    config = tmp_path / "mkdocs.yml"
    config.write_text(f"site_name: t\ndocs_dir: {tmp_path / 'docs'}\n")
    return config


def test_a_broken_link_fails_the_build_and_is_named(tmp_path, capsys):
    config = _project(tmp_path, "# Home\n\n[A page](nowhere.md)\n")
    assert strict_build.main(["-f", str(config), str(tmp_path / "out")]) == 1
    out = capsys.readouterr()
    assert "nowhere.md" in out.out + out.err
    assert "Cleaning site directory" not in out.out + out.err, "INFO lines are left out"


def test_a_clean_site_builds(tmp_path, capsys):
    config = _project(tmp_path, "# Home\n\nText.\n")
    assert strict_build.main(["-f", str(config), str(tmp_path / "out")]) == 0
    assert (tmp_path / "out" / "index.html").is_file()
