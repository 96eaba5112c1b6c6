"""A throwaway PostgreSQL cluster for the tests, the benchmarks and ``nox -s example -- --postgres``.

Debian's PostgreSQL binaries (``/usr/lib/postgresql/<version>/bin``, or
``$PG_BINDIR``) make a new cluster with ``initdb`` in a temporary folder, and
``postgres`` serves it on 127.0.0.1, on a free port, with its Unix socket in
the same folder. It is made for speed, not durability (``fsync=off``), and
holds one role and one database for the example project. No system service
is used or needed.

PostgreSQL refuses to run as root: when this process is root, ``initdb`` and
``postgres`` run as the ``postgres`` user the Debian package creates, in a
folder that user owns.

    with PostgresCluster(max_connections=50) as pg:
        env = example_env(**pg.example_env(CONN_MAX_AGE=0))
        pg.active_connections()   # the example's connections, from pg_stat_activity

The cluster is stopped (fast shutdown, then SIGKILL of what is left) and its
folder removed when the ``with`` block ends, also when it ends with an error.
"""

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

from guide.paths import EXAMPLE_DIR
from guide.services.base import ServerError, Service
from guide.services.privileges import drop_root
from guide.services.processes import example_env, free_port, port_is_open, prepare_example

VERSION = "15"
BINDIR_TEMPLATE = "/usr/lib/postgresql/{version}/bin"
SYSTEM_USER = "postgres"
"""The user that runs the cluster when this process is root."""

DATABASE = "mysite"
ROLE = "mysite"
PASSWORD = "mysite-throwaway"


class PostgresError(ServerError):
    """The cluster could not be made, started or stopped."""


def bindir(version=VERSION):
    """The folder holding ``initdb`` and ``postgres``; a clear error if they are missing."""
    folder = Path(os.environ.get("PG_BINDIR") or BINDIR_TEMPLATE.format(version=version))
    missing = [name for name in ("initdb", "postgres") if not (folder / name).is_file()]
    if missing:
        raise PostgresError(
            f"PostgreSQL {version}'s {' and '.join(missing)} not found in {folder}: install "
            f"Debian's postgresql package (apt-get install -y postgresql; ./guide does it), "
            f"or set PG_BINDIR to the folder that holds initdb and postgres"
        )
    return folder


class PostgresCluster(Service):
    """A PostgreSQL cluster in a temporary folder; a context manager.

    ``max_connections`` is PostgreSQL's setting (the benchmarks keep it small
    to make running out visible); ``settings`` adds ``-c name=value`` options.
    """

    error = PostgresError
    start_timeout = 60.0
    stop_timeout = 15.0
    stop_signal = signal.SIGINT  # fast shutdown

    def __init__(self, max_connections=100, settings=None, version=VERSION):
        self.bindir = bindir(version)
        self.max_connections = max_connections
        self.settings = dict(settings or {})
        self.port = None
        self.folder = None
        self.run_as = drop_root(
            SYSTEM_USER,
            program="PostgreSQL",
            why="PostgreSQL refuses root; Debian's postgresql package creates that user",
            error=PostgresError,
        )

    # -- paths and connection parameters --------------------------------------

    @property
    def data_dir(self):
        return self.folder / "data"

    @property
    def socket_dir(self):
        return self.folder

    @property
    def log_path(self):
        return None if self.folder is None else self.folder / "postgres.log"

    @property
    def cwd(self):
        return self.folder

    @property
    def env(self):
        return {**os.environ, "LC_ALL": "C.UTF-8", "LANG": "C.UTF-8"}

    def example_env(self, conn_max_age=0, pool=None, **extra):
        """The environment variables that point the example project at this cluster.

        ``pool`` is None (no pool), True (Django's pool with psycopg-pool's
        defaults) or ``(min_size, max_size)``.
        """
        env = {
            "MYSITE_DB": "postgres",
            "MYSITE_PG_HOST": "127.0.0.1",
            "MYSITE_PG_PORT": str(self.port),
            "MYSITE_PG_NAME": DATABASE,
            "MYSITE_PG_USER": ROLE,
            "MYSITE_PG_PASSWORD": PASSWORD,
            "MYSITE_CONN_MAX_AGE": str(conn_max_age),
        }
        if pool is True:
            env["MYSITE_PG_POOL"] = "1"
        elif pool:
            env["MYSITE_PG_POOL"] = f"{pool[0]}:{pool[1]}"
        env.update({key: str(value) for key, value in extra.items()})
        return env

    # -- running PostgreSQL's programs ----------------------------------------

    def _run(self, *argv, timeout=60):
        result = subprocess.run(
            [str(a) for a in argv],
            capture_output=True,
            text=True,
            timeout=timeout,
            cwd=self.cwd,
            env=self.env,
            **self.user_options(),
        )
        if result.returncode != 0:
            raise PostgresError(
                f"{' '.join(str(a) for a in argv)} failed ({result.returncode}):\n"
                f"{result.stdout}{result.stderr}"
            )
        return result.stdout

    def psql(self, sql, database="postgres"):
        """Run ``sql`` with psql as the superuser over the Unix socket; return its output."""
        return self._run(
            self.bindir / "psql",
            "-X",
            "-q",
            "-A",
            "-t",
            "-v",
            "ON_ERROR_STOP=1",
            "-h",
            self.socket_dir,
            "-p",
            self.port,
            "-U",
            "postgres",
            "-d",
            database,
            "-c",
            sql,
        ).strip()

    def active_connections(self, database=DATABASE):
        """How many client connections the database has now (``pg_stat_activity``)."""
        return int(
            self.psql(
                "SELECT count(*) FROM pg_stat_activity "
                f"WHERE datname = '{database}' AND backend_type = 'client backend'"
            )
        )

    # -- life cycle ------------------------------------------------------------

    def prepare(self):
        self.folder = Path(tempfile.mkdtemp(prefix="guide-pg-"))
        if self.run_as is not None:
            self.run_as.chown(self.folder)
        self._run(
            self.bindir / "initdb",
            "-D",
            self.data_dir,
            "-U",
            "postgres",
            "--auth-local=trust",
            "--auth-host=scram-sha-256",
            "--encoding=UTF8",
            "--locale=C.UTF-8",
            "--no-sync",
            timeout=120,
        )
        self.port = free_port()
        options = {
            "listen_addresses": "127.0.0.1",
            "port": self.port,
            "unix_socket_directories": self.socket_dir,
            "max_connections": self.max_connections,
            "fsync": "off",
            "synchronous_commit": "off",
            "full_page_writes": "off",
            "shared_buffers": "32MB",
            **self.settings,
        }
        argv = [str(self.bindir / "postgres"), "-D", str(self.data_dir)]
        for name, value in options.items():
            argv += ["-c", f"{name}={value}"]
        return argv

    def ready(self):
        if not port_is_open(self.port) or not (self.socket_dir / f".s.PGSQL.{self.port}").exists():
            return False
        try:
            self.psql("SELECT 1")
        except PostgresError:
            return False  # still starting up ("the database system is starting up")
        return True

    def awaited(self):
        return f"postgres to accept connections on 127.0.0.1:{self.port}"

    def started(self):
        self.psql(f"CREATE ROLE {ROLE} LOGIN PASSWORD '{PASSWORD}' CREATEDB")
        self.psql(f"CREATE DATABASE {DATABASE} OWNER {ROLE}")

    def abort(self):
        """A failed start stops the server as :meth:`stop` does (fast shutdown first)."""
        self.stop()

    def cleanup(self):
        """Remove the cluster's folder."""
        if self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)


def main(argv=None):
    """``python -m guide.services.postgres [APP]``: the example on a throwaway cluster, until Ctrl+C."""
    parser = argparse.ArgumentParser(
        prog="python -m guide.services.postgres",
        description="Serve the example project under uvicorn on a throwaway PostgreSQL "
        "cluster (migrated, with the sample questions); Ctrl+C stops both and removes "
        "the cluster.",
    )
    parser.add_argument("app", nargs="?", default="mysite.asgi_wrapped:application")
    parser.add_argument("--port", type=int, default=8001, help="uvicorn's port (8001)")
    args = parser.parse_args(argv)
    if not 1 <= args.port <= 65535:
        parser.error(f"--port must be 1 to 65535, not {args.port}")
    # Ctrl+C stops it, also when it was started with SIGINT ignored (a shell's
    # background job, `cmd &`, inherits that, and Python then sets no handler);
    # SIGTERM (a process manager, nox after an interrupt) stops it the same way.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        with PostgresCluster() as pg:
            env = example_env(**pg.example_env())
            version = pg.psql("SHOW server_version").split()[0]
            print(f"PostgreSQL {version} on 127.0.0.1:{pg.port}, in {pg.folder} (removed on exit)")
            prepare_example(env)
            print("migrated; loaded sample_questions and sample_choices", flush=True)
            server = subprocess.Popen(
                [sys.executable, "-m", "uvicorn", args.app]
                + ["--host", "127.0.0.1", "--port", str(args.port)],
                cwd=EXAMPLE_DIR,
                env=env,
            )
            try:
                return server.wait()
            except KeyboardInterrupt:
                if server.poll() is None:
                    server.send_signal(signal.SIGINT)  # Ctrl+C reached it too, unless sent to us
                return server.wait()
            finally:
                if server.poll() is None:
                    server.kill()
                    server.wait()
    except KeyboardInterrupt:
        return 130
    except ServerError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    finally:
        print("PostgreSQL stopped, its folder removed", flush=True)


if __name__ == "__main__":
    sys.exit(main())
