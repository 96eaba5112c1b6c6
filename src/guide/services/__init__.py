"""Real processes on free ports of 127.0.0.1, started and stopped for the tests and benchmarks.

- ``base``: what every server shares: :class:`~guide.services.base.Service`
  (the skeleton: a process group, a log file, wait until ready, stop with a
  signal then SIGKILL), :func:`~guide.services.base.wait_until`,
  :class:`~guide.services.base.ServerError`;
- ``privileges``: the unprivileged user a server runs as when we are root;
- ``processes``: free ports, the example project's environment, commands and
  database, and :class:`~guide.services.processes.ServerProcess` (the example
  under an ASGI server);
- ``redis``, ``nginx``, ``postgres``: Debian's Redis, nginx and PostgreSQL,
  throwaway and unprivileged (``python -m guide.services.redis`` and
  ``python -m guide.services.postgres`` run them for ``nox -s example``);
- ``systemd``: the systemd units the pages show, verified and socket-activated;
- ``chromium``: Debian's Chromium, headless, launched with Playwright.
"""
