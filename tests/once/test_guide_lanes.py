"""./guide test's lanes: side by side, a lane's followers only after it passed.

``run_lanes`` is given a stand-in for nox: a script that prints a pytest-like
summary, sleeps and exits with the code its arguments name, and appends
``start NAME`` / ``end NAME`` to a log with a timestamp, so the order in which
lanes ran is read from the log, not assumed.
"""

import json
import os
import runpy
import shutil
import subprocess
import sys

import pytest

from guide.paths import ROOT

FAKE_NOX = """\
import sys, time
name, seconds, code, log = sys.argv[1], float(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
with open(log, "a") as out:
    out.write(f"start {name} {time.monotonic()}\\n")
print(f"running {name}")
time.sleep(seconds)
print(f"=== 2 passed, {1 if code else 0} failed in {seconds}s ===")
with open(log, "a") as out:
    out.write(f"end {name} {time.monotonic()}\\n")
sys.exit(code)
"""


@pytest.fixture
def guide():
    return runpy.run_path(str(ROOT / "guide"))


@pytest.fixture
def fake(tmp_path):
    script = tmp_path / "fake_nox.py"
    script.write_text(FAKE_NOX)
    nox = tmp_path / "nox"
    nox.write_text(f'#!/bin/sh\nexec {sys.executable} {script} "$@"\n')
    nox.chmod(0o755)
    return nox, tmp_path / "log"


def events(log):
    """``{(what, name): time}`` from the fake's log."""
    rows = (line.split() for line in log.read_text().splitlines())
    return {(what, name): float(at) for what, name, at in rows}


def lane(guide, name, seconds, code, log, then=()):
    return guide["Lane"](name, [name, str(seconds), str(code), str(log)], then=then)


def test_followers_start_after_their_lane_and_run_beside_the_others(guide, fake, capsys):
    nox, log = fake
    lanes = (
        lane(guide, "long", 3.0, 0, log),
        lane(
            guide,
            "build",
            0.3,
            0,
            log,
            then=(lane(guide, "docs", 1.0, 0, log), lane(guide, "browser", 1.0, 0, log)),
        ),
    )
    assert guide["run_lanes"](nox, {"PATH": "/usr/bin:/bin"}, lanes) == 0
    at = events(log)
    assert at[("start", "docs")] >= at[("end", "build")]
    assert at[("start", "browser")] >= at[("end", "build")]
    # Side by side: the followers ran while the long lane did, and with each other.
    assert at[("start", "docs")] < at[("end", "long")]
    assert at[("start", "browser")] < at[("end", "docs")]
    assert at[("start", "docs")] < at[("end", "browser")]
    out = capsys.readouterr().out
    assert "[docs   ] running docs" in out
    assert "tests: 8 passed, 0 failed, 0 skipped" in out


def test_a_failed_lane_fails_the_run_and_its_followers_do_not_start(guide, fake, capsys):
    nox, log = fake
    lanes = (
        lane(guide, "other", 0.2, 0, log),
        lane(guide, "build", 0.2, 1, log, then=(lane(guide, "docs", 0.2, 0, log),)),
    )
    assert guide["run_lanes"](nox, {"PATH": "/usr/bin:/bin"}, lanes) == 1
    assert ("start", "docs") not in events(log)
    captured = capsys.readouterr()
    out = captured.out + captured.err  # ./guide's own lines (say) go to stderr
    assert "not run, since lane build failed: docs" in out
    assert "failed: ['build', 'docs']" in out
    assert "tests: 4 passed, 1 failed, 0 skipped" in out


def test_the_lanes_of_guide_test_build_before_docs_and_browser(guide):
    by_name = {lane.name: lane for lane in guide["LANES"]}
    site = by_name["site"]
    assert "build" in site.args
    assert [follower.name for follower in site.then] == ["docs", "browser"]


def _selected(nox, args):
    """The sessions ``nox ARGS`` would run, as nox itself lists them."""
    listed = subprocess.run(
        [nox, "-f", str(ROOT / "noxfile.py"), "-l", "--json", *args],
        capture_output=True,
        text=True,
        check=True,
    )
    return [row["session"] for row in json.loads(listed.stdout)]


def test_the_lanes_run_each_session_of_the_matrix_once(guide):
    """Every session the real noxfile has for a lane's arguments, once across all lanes:
    a Django release added to the version list joins a lane by itself."""
    nox = shutil.which("nox", path=os.environ.get("PATH"))
    assert nox, "nox is not on PATH (./guide puts .guide/tools/bin there)"

    def flat(lanes):
        for lane in lanes:
            yield lane
            yield from flat(lane.then)

    ran = [name for lane in flat(guide["LANES"]) for name in _selected(nox, lane.args)]
    matrix = _selected(nox, ["-s", "tests"])
    assert len(matrix) >= 3
    wanted = [*matrix, "lint", "build", "docs", "browser"]
    assert sorted(ran) == sorted(wanted)
