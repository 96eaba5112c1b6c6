"""The systemd units the pages show, verified and run without a running systemd.

``snippets/systemd/gunicorn.socket`` and ``gunicorn.service`` are included by
the production page as they are. The tests

- render them with only the documented paths changed (:data:`PLACEHOLDERS`:
  the project folder, its virtualenv, the group nginx runs as) and run
  ``systemd-analyze verify`` on the copies, which fails on a missing
  executable or an unknown unit and warns on an unknown setting;
- run the service's ``ExecStart`` command as systemd would start it on the
  socket unit's first connection: this module, run as
  ``python -m guide.services.systemd SOCKET_PATH MODE GROUP -- ARGV...``, opens the
  ``ListenStream`` socket with the unit's mode and group, puts it on file
  descriptor 3, sets ``LISTEN_FDS=1`` and ``LISTEN_PID`` to its own process
  id, and replaces itself with the command (so the pid is the command's);
  ``NOTIFY_SOCKET`` is the test's, which receives ``READY=1`` (``Type=notify``).
"""

import grp
import os
import pwd
import shlex
import socket
import subprocess
import sys
from pathlib import Path

from guide.paths import SNIPPETS

SYSTEMD_SNIPPETS = SNIPPETS / "systemd"
SYSTEMD_ANALYZE = "systemd-analyze"

PLACEHOLDERS = {
    "venv": "/srv/mysite/venv",
    "project": "/srv/mysite",
    "nginx_group": "www-data",
}
"""``{name: the exact text in the unit files}``: what a reader changes (each file's
first comment names them). ``venv`` is replaced before ``project``, which it starts with."""


def unit_text(name):
    return (SYSTEMD_SNIPPETS / name).read_text(encoding="utf-8")


def render(name, **values):
    """The unit file ``name`` with the :data:`PLACEHOLDERS` in ``values`` filled in."""
    text = unit_text(name)
    for key in PLACEHOLDERS:  # in order: venv before project
        if key not in values:
            continue
        if PLACEHOLDERS[key] not in text:
            raise ValueError(f"snippets/systemd/{name} does not contain {PLACEHOLDERS[key]!r}")
        text = text.replace(PLACEHOLDERS[key], str(values[key]))
    unknown = set(values) - set(PLACEHOLDERS)
    if unknown:
        raise ValueError(f"not documented placeholders: {sorted(unknown)}")
    return text


def settings(text):
    """``{(section, key): [values]}`` of a unit file: comments dropped, continuation lines joined."""
    found, section, pending = {}, None, ""
    for raw in text.splitlines():
        line = raw.strip()
        if not pending and (not line or line.startswith(("#", ";"))):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        line, pending = pending + line, ""
        if line.startswith("[") and line.endswith("]"):
            section = line[1:-1]
            continue
        key, _, value = line.partition("=")
        found.setdefault((section, key.strip()), []).append(" ".join(value.split()))
    return found


def exec_start(text):
    """The service's ``ExecStart`` command as an argv list."""
    (command,) = settings(text)[("Service", "ExecStart")]
    return shlex.split(command)


def environment(text):
    """``{name: value}`` from the service's ``Environment=`` lines."""
    env = {}
    for line in settings(text).get(("Service", "Environment"), []):
        for item in shlex.split(line):
            name, _, value = item.partition("=")
            env[name] = value
    return env


def verify(folder, *names):
    """``systemd-analyze verify`` on the unit files ``names`` in ``folder``: the result."""
    return subprocess.run(
        [SYSTEMD_ANALYZE, "verify", *names],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=60,
    )


def activation_argv(socket_path, mode, group, argv):
    """The command line that starts ``argv`` socket-activated on ``socket_path``."""
    return [
        sys.executable,
        "-m",
        "guide.services.systemd",
        str(socket_path),
        mode,
        group,
        "--",
        *argv,
    ]


def _activate(socket_path, mode, group, argv):
    """Open the socket as systemd would, put it on fd 3, and exec ``argv``."""
    path = Path(socket_path)
    path.unlink(missing_ok=True)
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(str(path))
    os.chmod(path, int(mode, 8))
    if os.geteuid() == 0:
        os.chown(path, pwd.getpwnam("root").pw_uid, grp.getgrnam(group).gr_gid)
    listener.listen(128)
    os.dup2(listener.fileno(), 3)
    os.set_inheritable(3, True)
    os.environ["LISTEN_FDS"] = "1"
    os.environ["LISTEN_PID"] = str(os.getpid())
    os.execvp(argv[0], argv)


if __name__ == "__main__":
    socket_path, mode, group, separator, *command = sys.argv[1:]
    if separator != "--" or not command:
        sys.exit("usage: python -m guide.services.systemd SOCKET_PATH MODE GROUP -- COMMAND...")
    _activate(socket_path, mode, group, command)
