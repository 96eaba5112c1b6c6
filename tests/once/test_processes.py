"""guide.services.processes: free ports, per-run logs, and stop() leaving nothing of a server behind."""

import os
import sys
import textwrap
import time

from guide.services import processes
from guide.services.processes import ServerProcess, free_port

# A "server": it listens, starts a worker in its process group that ignores
# SIGTERM (as a stuck worker would), writes the worker's pid, and exits on SIGTERM.
SERVER = textwrap.dedent(
    """
    import os, signal, socket, subprocess, sys
    sock = socket.socket()
    sock.bind(("127.0.0.1", int(sys.argv[1])))
    sock.listen()
    worker = subprocess.Popen(
        [sys.executable, "-c", "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(120)"]
    )
    print(worker.pid, flush=True)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    signal.pause()
    """
)


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie still answers kill(0): look at its state.
    with open(f"/proc/{pid}/stat") as stat:
        return stat.read().split(")")[-1].split()[0] != "Z"


def test_stop_kills_what_the_server_left_of_its_process_group(tmp_path):
    port = free_port()
    server = ServerProcess([sys.executable, "-c", SERVER, str(port)], port, cwd=tmp_path).start()
    deadline = time.monotonic() + 10
    while not server.output().strip() and time.monotonic() < deadline:
        time.sleep(0.05)
    worker = int(server.output().split()[0])
    assert _alive(worker)
    assert server.stop() == 0
    deadline = time.monotonic() + 10
    while _alive(worker) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(worker), "the worker outlived stop()"


def test_stop_after_the_server_exited_still_cleans_up(tmp_path):
    port = free_port()
    code = SERVER.replace("signal.pause()", "sys.exit(3)").replace(
        "sock.listen()", "sock.listen(); import time; time.sleep(1)"
    )
    server = ServerProcess([sys.executable, "-c", code, str(port)], port, cwd=tmp_path).start()
    server.process.wait(10)
    worker = int(server.output().split()[0])
    assert server.stop() == 3
    deadline = time.monotonic() + 10
    while _alive(worker) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(worker)
    assert server._log.closed


def test_free_ports_are_reserved_below_the_ephemeral_range():
    ports = {free_port() for _ in range(20)}
    assert len(ports) == 20
    assert all(1024 <= port < processes._ephemeral_low() for port in ports)
    for port in ports:
        owner = (processes.PORT_RESERVATIONS / str(port)).read_text()
        assert owner == str(os.getpid())


def test_a_reservation_left_by_a_dead_process_is_taken_over(tmp_path):
    port = 1234
    path = processes.PORT_RESERVATIONS / str(port)
    processes.PORT_RESERVATIONS.mkdir(exist_ok=True)
    path.write_text("999999999")  # no such process
    try:
        assert processes._reserve(port)
        assert path.read_text() == str(os.getpid())
        path.write_text("1")  # init: alive, not ours
        assert not processes._reserve(port)
    finally:
        path.unlink(missing_ok=True)


def test_each_server_run_logs_to_a_file_of_its_own():
    first, second = ServerProcess(["true"], 5555), ServerProcess(["true"], 5555)
    try:
        assert first.log_path != second.log_path
        assert first.log_path.parent == second.log_path.parent
    finally:
        first.log_path.unlink()
        second.log_path.unlink()
