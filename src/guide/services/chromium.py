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


# For the tests only: V8 compiles WebAssembly with its baseline compiler
# (Liftoff) and never recompiles hot functions with its optimising one. Python
# behaves the same; a start of the in-browser Python costs about 1.7 s less CPU
# (5.6 s to 3.9 s, measured per boot-and-run on a 2-core machine), and the
# browser session about 80 CPU-s less in all. The benchmarks and the smoke
# test keep the default tiers, which are what readers get.
TEST_ARGS = ["--js-flags=--liftoff-only"]


def launch(playwright, executable=None, extra_args=()):
    """Launch headless Chromium with Playwright (``playwright.chromium``); return the browser.

    ``extra_args`` are added to :data:`CHROMIUM_ARGS` (the tests pass :data:`TEST_ARGS`).
    """
    executable = executable or CHROMIUM
    if not shutil.which(executable):
        raise ChromiumMissing(
            f"{executable} not found: install Debian's chromium (apt-get install -y chromium)"
        )
    return playwright.chromium.launch(
        executable_path=executable, args=[*CHROMIUM_ARGS, *extra_args]
    )


def launch_persistent(browser_type, user_data_dir, extra_args=()):
    """A headless browser context with a profile in ``user_data_dir``: a reader's browser.

    Unlike :func:`launch`'s contexts (which keep no disk cache, and only small
    responses in memory), it keeps an HTTP cache on disk, as a reader's browser
    does between visits. ``browser_type``: ``playwright.chromium`` (or a launched
    browser's ``browser_type``). Close the context to end the browser.
    """
    if not shutil.which(CHROMIUM):
        raise ChromiumMissing(
            f"{CHROMIUM} not found: install Debian's chromium (apt-get install -y chromium)"
        )
    return browser_type.launch_persistent_context(
        str(user_data_dir),
        executable_path=CHROMIUM,
        headless=True,
        args=[*CHROMIUM_ARGS, *extra_args],
    )
