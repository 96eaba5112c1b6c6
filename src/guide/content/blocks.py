"""What a code block on a page may hold: one table, read by the build and by one test.

Every fenced block of every page has a language, and each language has one
:class:`Rule` in :data:`RULES`: the files the block may include, and the test
that runs those files. A block holds exactly one include line of such a file
(so what the reader sees is what a test ran), except where the rule allows
inline text (a diagram). A language not in the table is refused, with the
languages that are.

- The MkDocs hook calls :func:`check` on each page: the first block that breaks
  its rule stops ``mkdocs build --strict`` with the page, the line and what to
  write instead.
- ``tests/once/test_block_rules.py`` calls :func:`problems` on each page (one
  test per page, every problem listed) and checks the table itself.
"""

import fnmatch
from dataclasses import dataclass

from guide.content import pages
from guide.paths import ROOT


@dataclass(frozen=True)
class Rule:
    """What a block of one language may hold."""

    kind: str  # what the reader sees: "doctest", "example code", "shell session", ...
    langs: tuple  # the info-string languages it covers; the first is the one to write
    files: tuple  # glob patterns (from the checkout) of the files a block may include
    tested_by: str  # the test module that runs or compares those files
    sections: bool = True  # whether a named section (path:name) may be included
    inline: bool = False  # whether the block may hold its text inline instead
    all_shown: bool = False  # whether every file it covers must be shown on some page


RULES = (
    Rule(
        "doctest",
        ("pycon",),
        ("snippets/*.pycon",),
        "tests/django/test_snippets.py (and tests/browser/test_runnable.py)",
        sections=False,
    ),
    Rule(
        "example project code",
        ("python",),
        ("examples/mysite/*.py", "examples/tutorial/*.py"),
        "tests/django (the example under real servers); the tutorial's project:"
        " tests/once/test_console.py, tests/once/test_tutorial_checkpoints.py",
    ),
    Rule(
        "tutorial project data",
        ("json",),
        ("examples/tutorial/*.json",),
        "tests/once/test_console.py, tests/once/test_tutorial_checkpoints.py",
        sections=False,
    ),
    Rule(
        "example project script",
        ("javascript",),
        ("examples/mysite/*.js",),
        "tests/browser/test_live_page.py",
    ),
    Rule(
        "shell session",
        ("console",),
        ("snippets/*.console",),
        "tests/once/test_console.py",
        sections=False,
        all_shown=True,
    ),
    Rule(
        "server command",
        ("bash",),
        ("snippets/server_commands/*.sh", "snippets/nginx/*.sh"),
        "tests/django/test_server_commands.py, tests/once/test_nginx.py",
        sections=False,
        all_shown=True,
    ),
    Rule(
        "server output",
        ("text",),
        ("snippets/*.out",),
        "tests/once/test_console.py",
        sections=False,
        all_shown=True,
    ),
    Rule(
        "nginx configuration",
        ("nginx",),
        ("snippets/nginx/*.conf",),
        "tests/once/test_nginx.py, tests/once/test_rolling_upstream.py",
        all_shown=True,
    ),
    Rule(
        "systemd unit",
        ("ini",),
        ("snippets/systemd/*.service", "snippets/systemd/*.socket"),
        "tests/once/test_systemd.py",
        all_shown=True,
    ),
    Rule(
        "container image",
        ("dockerfile",),
        ("snippets/containers/*Dockerfile",),
        "tests/django/test_containers.py",
        sections=False,
        all_shown=True,
    ),
    Rule(
        "container entrypoint",
        ("sh",),
        ("snippets/containers/*.sh",),
        "tests/django/test_containers.py",
        sections=False,
        all_shown=True,
    ),
    Rule("diagram", ("mermaid",), (), "drawn by Mermaid, nothing to run", inline=True),
)
"""One :class:`Rule` per kind of block."""

BY_LANG = {lang: rule for rule in RULES for lang in rule.langs}


def rule_for(lang):
    """The :class:`Rule` of ``lang``, or ``None``."""
    return BY_LANG.get(lang)


def _example(rule):
    return rule.files[0].replace("*", "<name>", 1).replace("*", "") if rule.files else ""


def block_problems(block):
    """``[(line, message)]``: how ``block`` breaks its rule (empty if it follows it)."""
    rule = rule_for(block.lang)
    if rule is None:
        known = ", ".join(sorted(BY_LANG))
        shown = block.lang or "a block without a language"
        return [(block.line, f"{shown!r}: no rule says what such a block may hold ({known})")]
    if rule.inline:
        return []
    expected = (
        f'a {block.lang} block ({rule.kind}) holds one line --8<-- "{_example(rule)}", '
        f"a file {rule.tested_by} runs, nothing else"
    )
    if len(block.code) != 1 or len(block.includes) != 1:
        found = block.code[0].strip() if block.code else "an empty block"
        return [(block.line, f"{expected}; found {found!r}")]
    include = block.includes[0]
    if not any(fnmatch.fnmatchcase(include.path, pattern) for pattern in rule.files):
        allowed = " or ".join(rule.files)
        return [(include.line, f"{include.path} is not one of {allowed}: {expected}")]
    if include.section is not None and not rule.sections:
        return [(include.line, f"{include.path} is included whole, not a section")]
    if not _exists(include.path):
        return [(include.line, f"no file {include.path}")]
    return []


def _exists(path):
    """Whether the included file exists, or (a snippet with a file per Django
    version, included by its base name) its variants do; guide.content.snippets
    checks that every version has one."""
    base = ROOT / path
    return base.is_file() or any(base.parent.glob(f"{base.stem}-django*{base.suffix}"))


def problems(markdown, page):
    """``["page:line: message"]`` for every block of ``markdown`` that breaks its rule."""
    name = pages._name(page)
    return [
        f"{name}:{line}: {message}"
        for block in pages.blocks(markdown, page)
        for line, message in block_problems(block)
    ]


def unshown_files(page_list=None):
    """The files of the rules with ``all_shown`` that no page includes (checkout-relative)."""
    shown = {
        include.path
        for page in (page_list if page_list is not None else pages.pages())
        for block in pages.page_blocks(page)
        for include in block.includes
    }
    files = {
        path.relative_to(ROOT).as_posix()
        for rule in RULES
        if rule.all_shown
        for pattern in rule.files
        for path in ROOT.glob(pattern.replace("/*", "/**/*", 1))
        if path.is_file()
    }
    return sorted(files - shown)


def check(markdown, page):
    """Raise :class:`guide.content.pages.PageError` for the first block that breaks its rule."""
    for block in pages.blocks(markdown, page):
        for line, message in block_problems(block):
            raise pages.PageError(page, line, message)
