"""actionlint (guide.checks.actionlint) on the project's workflows, and on a broken one."""

import subprocess
import sys

from guide.paths import ROOT


def actionlint(*paths):
    return subprocess.run(
        [sys.executable, "-m", "guide.checks.actionlint", *map(str, paths)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )


def test_the_projects_workflows_have_no_findings():
    done = actionlint(ROOT / ".github")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "pages.yml" in done.stdout  # it names what it checked


def test_a_broken_workflow_fails_with_file_line_and_message(tmp_path):
    workflow = tmp_path / ".github" / "workflows" / "bad.yml"
    workflow.parent.mkdir(parents=True)
    workflow.write_text(
        "on: push\n"
        "jobs:\n"
        "  a:\n"
        "    runs-on: ubuntu-latest\n"
        "    steps:\n"
        "      - run: echo ${{ matrix.missing }}\n"
    )
    done = actionlint(tmp_path / ".github")
    assert done.returncode == 1, done.stdout + done.stderr
    assert f"{workflow}:6:" in done.stdout
    assert '"missing" is not defined' in done.stdout


def test_a_folder_without_workflows_is_an_error_not_a_pass(tmp_path):
    done = actionlint(tmp_path)
    assert done.returncode == 2
    assert "no workflow" in done.stderr
