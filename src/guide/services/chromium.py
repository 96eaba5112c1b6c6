"""Debian's Chromium, headless, launched one way by the tests, the smoke test and the benchmarks.

Playwright drives the system browser (``/usr/bin/chromium``, or ``$CHROMIUM``);
its own browser download is never used.
"""

import os
import shutil

# Debian's Chromium, headless, as root, on a machine whose network reaches
# nothing but this machine: no sandbox, no background traffic.
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


class ChromiumMissing(RuntimeError):
    """No Chromium at :data:`CHROMIUM`."""


def launch(playwright, executable=None):
    """Launch headless Chromium with Playwright (``playwright.chromium``); return the browser."""
    executable = executable or CHROMIUM
    if not shutil.which(executable):
        raise ChromiumMissing(
            f"{executable} not found: install Debian's chromium (apt-get install -y chromium)"
        )
    return playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
