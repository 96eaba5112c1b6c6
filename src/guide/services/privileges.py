"""Never run a server as root: the one user the services here drop root for.

When the tests run as root (CI, containers), Redis, nginx and PostgreSQL run
as an unprivileged system user instead (PostgreSQL refuses root outright).
:func:`drop_root` picks that user, or None when this process is not root;
:class:`RunAs` gives the ``subprocess`` options that switch to it and
hands it the files it must write.
"""

import os
import pwd
from dataclasses import dataclass

from guide.services.base import ServerError


@dataclass(frozen=True)
class RunAs:
    """An unprivileged user to run a server as (``name``, ``uid``, ``gid``)."""

    name: str
    uid: int
    gid: int

    def popen_kwargs(self):
        """``subprocess.Popen``/``run`` options: this user, its group, no supplementary groups."""
        return {"user": self.uid, "group": self.gid, "extra_groups": []}

    def chown(self, *paths):
        """Make this user the owner of ``paths`` (the folders and files the server writes)."""
        for path in paths:
            os.chown(path, self.uid, self.gid)


def drop_root(*names, program, why="", error=ServerError):
    """The first existing user of ``names`` as a :class:`RunAs` when we are root, else None.

    Raises ``error`` naming the users and ``program`` (and ``why`` it needs
    one) when we are root and none of them exists.
    """
    if os.geteuid() != 0:
        return None
    for name in names:
        try:
            entry = pwd.getpwnam(name)
        except KeyError:
            continue
        return RunAs(name, entry.pw_uid, entry.pw_gid)
    users = " or ".join(repr(name) for name in names)
    raise error(
        f"running as root, and there is no user {users} to run {program} as"
        + (f" ({why})" if why else "")
    )
