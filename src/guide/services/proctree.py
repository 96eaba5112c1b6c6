"""A server's process tree and its memory, read from ``/proc`` (Linux).

- :func:`tree`: a process and all its descendants (a server's main process and
  its workers);
- :func:`memory`: one process's resident memory (RSS) and proportional share
  (PSS: a page shared by N processes counts 1/N in each).

Read by ``bench/memory.py`` (the memory of each server over many requests) and
``tests/django/test_worker_recycling.py`` (a worker replaced after its request
limit has a new process id).
"""

import os
from pathlib import Path


def tree(pid):
    """The ids of ``pid`` and all its descendants, ``pid`` first."""
    children = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            stat = Path(entry.path, "stat").read_text()
        except OSError:  # it exited meanwhile
            continue
        # The command's name is in parentheses and may hold spaces: split after it.
        ppid = int(stat.rpartition(")")[2].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        current = todo.pop(0)
        found.append(current)
        todo += sorted(children.get(current, []))
    return found


def memory(pid):
    """``(RSS, PSS)`` of process ``pid`` in KiB (``/proc/PID/smaps_rollup``); None if gone."""
    values = {}
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            key, _, rest = line.partition(":")
            if key in ("Rss", "Pss"):
                values[key] = int(rest.split()[0])
    except (OSError, ValueError):
        return None
    if len(values) != 2:
        return None
    return values["Rss"], values["Pss"]
