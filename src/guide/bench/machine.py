"""The machine a benchmark ran on, and the one rule for publishing its figures.

Every results file under ``bench/results/`` records, in ``machine``, the CPU,
cores and memory, and the 1-minute load average when the benchmark started
and when it ended. Figures taken on a busy machine measure the other jobs as
much as the code, so the rule, :func:`too_busy`, is kept here alone. It
judges the load at the start, the machine before the benchmark added its own
work: a load test on two cores raises the load at the end by itself (50
clients, a server and PostgreSQL ended a run of ``bench_postgres`` at 3.35 on
an idle machine), so that figure is recorded and shown, not judged.

- a bench script calls :func:`idle_machine` before it starts (it refuses, with
  exit status 1, on a busy machine) and :func:`write_results` at the end (it
  records the load at the end); ``--allow-busy`` measures anyway, and the file
  says so;
- the site (:func:`guide.site.markers.fill`) withholds the figures of a file
  that breaks the rule and prints the command that re-measures them.
"""

import json
import os
import platform
import sys
from pathlib import Path

LIMIT_PER_CORE = 1.5
"""The highest 1-minute load average per core at which figures are published."""

LOADS = {
    "load_average_at_start": "at the start",
    "load_average_at_end": "at the end (with the benchmark's own work)",
}
"""The load averages a results file records, and how a message names them."""
JUDGED = "load_average_at_start"
"""The load :func:`too_busy` judges: the machine's, before the benchmark's own work."""


def load_now():
    """This machine's 1-minute load average."""
    return round(os.getloadavg()[0], 2)


def machine(load=load_now):
    """The CPU model, cores, memory and 1-minute load average (``load()``) of this machine."""
    cpu = platform.processor() or platform.machine()
    memory_gib = None
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory_gib = round(int(line.split()[1]) / 1024**2, 1)
    except OSError:
        pass
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gib": memory_gib,
        "os": platform.platform(terse=True),
        "load_average_at_start": load(),
    }


def too_busy(info):
    """Why figures measured on ``info`` (a results file's ``machine``) are not published.

    ``None`` when the load average at the start is at most :data:`LIMIT_PER_CORE`
    per core; otherwise a sentence naming it. A file that records no load
    average at the start is not published either.
    """
    cores = info.get("cores") or 1
    limit = LIMIT_PER_CORE * cores
    value = info.get(JUDGED)
    if value is None:
        return "no load average was recorded at the start"
    if value <= limit:
        return None
    return (
        f"1-minute load average {value:g} {LOADS[JUDGED]} on {cores} cores, "
        f"above {LIMIT_PER_CORE:g} per core"
    )


def idle_machine(allow_busy=False, load=load_now):
    """:func:`machine`, before a benchmark starts; exits with status 1 if it is busy.

    With ``allow_busy`` it goes on, and the returned dict says ``allow_busy``.
    """
    info = machine(load)
    reason = too_busy(info)
    if reason:
        if not allow_busy:
            sys.exit(
                f"Not measuring: {reason}. Wait until the machine is idle "
                "(or pass --allow-busy to measure anyway: the site will not show the figures)."
            )
        info["allow_busy"] = True
    return info


def write_results(path, data, load=load_now):
    """Record the load at the end in ``data["machine"]`` and write ``data`` to ``path``."""
    data["machine"]["load_average_at_end"] = load()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2) + "\n")


def add_allow_busy(parser):
    """The ``--allow-busy`` option every bench script takes."""
    parser.add_argument(
        "--allow-busy",
        action="store_true",
        help=f"measure and write even above a load of {LIMIT_PER_CORE:g} per core "
        "(the site withholds such figures)",
    )


def load_text(info):
    """The load averages ``info`` records, in words, for the line under a table."""
    recorded = [f"{info[key]:g} {LOADS[key]}" for key in LOADS if info.get(key) is not None]
    if not recorded:
        return "load average not recorded"
    return "1-minute load average " + " and ".join(recorded)
