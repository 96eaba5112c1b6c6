"""The runnable guide's own tooling, shared by the MkDocs hooks, the tests and the benchmarks.

Installed editable by every nox session (``pip install -e .``); nothing here is
reached by editing ``sys.path``.

- :mod:`guide.paths`: where the project's folders are, and the supported versions.
- :mod:`guide.snippets`: the snippet model (a file, its options, its Django version,
  whether and why it runs in a browser).
- :mod:`guide.pages`: the one parser of the pages' fences and includes.
- :mod:`guide.runner`: runs a snippet as a doctest in a fresh process.
- :mod:`guide.commands`: reads the server command snippets (``snippets/servers/*.sh``).
- :mod:`guide.processes`: real server processes on free ports, started and stopped.
- :mod:`guide.chromium`: Debian's Chromium, launched headless the one way.
- :mod:`guide.asgi_client`: call an ASGI application as a server would.
- :mod:`guide.runnable_page`: drive a Run button with Playwright.
"""
