"""guide.services.postgres itself: a clear error without PostgreSQL, nothing left behind, Ctrl+C.

Version-independent (run once, in the docs session). The example on the
cluster, per Django version, is tests/django/test_postgres.py.
"""

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from guide.services.postgres import PostgresCluster, PostgresError
from guide.services.processes import free_port, port_is_open


def alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def wait_until(condition, timeout, what):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"{what} after {timeout} s"
        time.sleep(0.1)


def test_missing_binaries_give_a_clear_error(monkeypatch, tmp_path):
    monkeypatch.setenv("PG_BINDIR", str(tmp_path))
    with pytest.raises(PostgresError) as error:
        PostgresCluster()
    assert str(error.value) == (
        f"PostgreSQL 15's initdb and postgres not found in {tmp_path}: install Debian's "
        "postgresql package (apt-get install -y postgresql; ./guide does it), or set "
        "PG_BINDIR to the folder that holds initdb and postgres"
    )


def test_the_cluster_is_stopped_and_removed_when_the_block_fails():
    with pytest.raises(RuntimeError, match="a failing test"):
        with PostgresCluster() as pg:
            folder, port = pg.folder, pg.port
            postmaster = int((pg.data_dir / "postmaster.pid").read_text().split()[0])
            assert pg.psql("SHOW fsync") == "off"
            assert pg.psql("SHOW listen_addresses") == "127.0.0.1"
            assert pg.psql("SELECT current_user") == "postgres"
            raise RuntimeError("a failing test")
    assert not folder.exists()
    assert not alive(postmaster)
    assert not port_is_open(port)


def _group(pgid):
    """The processes of a process group, as ps shows them (what is left running)."""
    ps = subprocess.run(
        ["ps", "-e", "-o", "pid,pgid,stat,etime,args"], capture_output=True, text=True
    )
    lines = ps.stdout.splitlines()
    return "\n".join(lines[:1] + [line for line in lines[1:] if line.split()[1] == str(pgid)])


def test_python_m_guide_postgres_serves_the_example_until_ctrl_c(tmp_path):
    """What ``nox -s example -- --postgres`` runs."""
    port = free_port()
    log = tmp_path / "out.log"
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "guide.services.postgres", "--port", str(port)],
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            # Started as a shell starts a background job (`cmd &`), with SIGINT
            # ignored: the program must still stop on Ctrl+C's signal (CI's runner
            # can start the suite that way; it hung here until it set its handler).
            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN),
        )
    try:
        wait_until(lambda: port_is_open(port), 60, f"nothing on {port}:\n{log.read_text()}")
        answer = httpx.get(f"http://127.0.0.1:{port}/polls/async/", timeout=10).json()
        assert answer["count"] == 3
        folder = Path(re.search(r" in (/\S+) \(removed on exit\)", log.read_text())[1])
        postmaster = int((folder / "data" / "postmaster.pid").read_text().split()[0])
        process.send_signal(signal.SIGINT)  # Ctrl+C
        try:
            code = process.wait(60)  # uvicorn's shutdown, then PostgreSQL's: seconds
        except subprocess.TimeoutExpired:
            pytest.fail(
                f"still running 60 s after Ctrl+C:\n{_group(process.pid)}\n{log.read_text()}"
            )
        assert code == 0, log.read_text()
    finally:
        if process.poll() is None:
            # SIGTERM first: the program stops its cluster (which runs in a session
            # of its own, so SIGKILL to this group would leave it running).
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(60)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
    output = log.read_text()
    assert "migrated; loaded sample_questions and sample_choices" in output
    assert output.rstrip().endswith("PostgreSQL stopped, its folder removed"), output
    assert not folder.exists()
    assert not alive(postmaster)
