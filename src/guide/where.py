"""Which tests run what a page shows, and the commands that run just them.

    python -m guide.where docs/howto/reverse-proxy.md
    python -m guide.where howto/reverse-proxy

For each file the page includes, in page order: its line on the page, the kind
of block that shows it and the test its rule names
(:func:`guide.content.blocks.rule_for`), and the ids of the tests that run it,
each with the nox session that runs it. The ids come from the tests themselves
(``pytest --collect-only -q tests`` in a process of its own), never from a list
kept here: a test whose parametrize id names the file (``[uvicorn.sh]``,
``[howto/x/y.pycon]``), or names the page and is in a module the block's rule
names (tests/browser/test_runnable.py runs a page's doctests). Where no id
names a file, the modules of the rule's test folder that mention it are given
whole. The docs and browser sessions run their folder and add what follows
``--`` to it, so their commands select by name (``-k``): a test elsewhere in
the folder whose name contains one of those names would run too.

A module of its own, not under :mod:`guide.content`: it joins the pages with
the test suite and the nox sessions, which no content module knows of.
"""

import argparse
import difflib
import re
import shlex
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from guide.content import blocks, pages
from guide.content import snippets as model
from guide.paths import DJANGO_VERSIONS, DOCS, ROOT

# The folder each nox session runs (noxfile.py: TESTS_PER_DJANGO, TESTS_ONCE, TESTS_BROWSER).
SESSIONS = {"tests/django": "tests", "tests/once": "docs", "tests/browser": "browser"}
SESSION_HELP = {
    "tests": "nox -s tests: tests/django, on each supported Django",
    "docs": "nox -s docs: tests/once, once",
    "browser": "nox -s browser: tests/browser, in headless Chromium",
}
# What pytest -k accepts as one name (_pytest/mark/expression.py).
K_IDENT = re.compile(r"^[\w:+\-.\[\]\\/]+$")


@dataclass
class Shown:
    """One included file on the page and the tests that run it."""

    line: int
    path: str  # as the page includes it: "snippets/nginx/mysite.conf:websocket"
    rule: blocks.Rule | None
    ids: list = field(default_factory=list)  # [(node id, Django "X.Y" or None: any)]
    whole: list = field(default_factory=list)  # modules or folders, when no id names the file
    note: str = ""


def session_of(nodeid):
    """``"tests"``, ``"docs"`` or ``"browser"``: the nox session that runs ``nodeid``."""
    for folder, session in SESSIONS.items():
        if nodeid == folder or nodeid.startswith(folder + "/"):
            return session
    return None


def find_page(name, docs=DOCS):
    """The page ``name`` stands for (a path, ``howto/x``, a URL ``howto/x/``), or None."""
    text = name.strip()
    if Path(text).is_absolute() and Path(text).is_relative_to(docs):
        text = Path(text).relative_to(docs).as_posix()
    text = text.removeprefix("./").removeprefix("docs/").strip("/").removesuffix(".md")
    for candidate in (f"{text}.md", f"{text}/index.md" if text else "index.md"):
        if (docs / candidate).is_file():
            return docs / candidate
    return None


def page_names(docs=DOCS):
    return [p.relative_to(docs).with_suffix("").as_posix() for p in pages.pages(docs)]


def close_names(name, docs=DOCS):
    """Page names like ``name``: the close spellings, then those that contain it."""
    text = name.strip().removeprefix("docs/").strip("/").removesuffix(".md")
    names = page_names(docs)
    close = difflib.get_close_matches(text, names, n=5, cutoff=0.5)
    close += [n for n in names if text and text.split("/")[-1] in n and n not in close]
    return close[:8]


def collect(root=ROOT):
    """Every test id of ``tests/``, as ``pytest --collect-only -q`` lists them."""
    command = [sys.executable, "-m", "pytest", "--collect-only", "-q", "tests"]
    result = subprocess.run(command, cwd=root, capture_output=True, text=True)
    ids = [line for line in result.stdout.splitlines() if "::" in line and session_of(line)]
    if result.returncode != 0:
        text = result.stdout + result.stderr
        errors = [line for line in text.splitlines() if line.startswith(("ERROR ", "E   "))]
        print(
            f"warning: pytest --collect-only exited {result.returncode}; the ids of these "
            "modules are missing (a package not installed here? the browser session has them all):\n  "
            + "\n  ".join(errors or text.strip().splitlines()[-10:]),
            file=sys.stderr,
        )
    return ids


def _param(nodeid):
    """The parametrize id of ``nodeid`` (``uvicorn.sh`` of ``...::test_x[uvicorn.sh]``), or None."""
    name = nodeid.rsplit("::", 1)[-1]
    return name[name.index("[") + 1 : -1] if name.endswith("]") and "[" in name else None


def names(nodeid, forms):
    """True if the parametrize id of ``nodeid`` is one of ``forms``, or one ``-``-joined part."""
    param = _param(nodeid)
    return param is not None and any(
        param == f or param.startswith(f + "-") or param.endswith("-" + f) or f"-{f}-" in param
        for f in forms
    )


def file_forms(path, root=ROOT):
    """How a test id may name the checkout file ``path``: in full, below its top folder, by name."""
    top, _, below = path.partition("/")
    forms = [path, below]
    name = path.rsplit("/", 1)[-1]
    if len(list((root / top).rglob(name))) == 1:  # the name alone, if no other file has it
        forms.append(name)
    return forms


def page_forms(page, docs=DOCS):
    rel = page.relative_to(docs).as_posix()
    return [f for f in (rel, f"docs/{rel}", pages.url_of(page, docs)) if f]


def _tested_by(rule):
    """The test modules and folders a rule names (``tests/once/test_nginx.py``)."""
    return re.findall(r"tests/[\w/.]*\w", rule.tested_by) if rule else []


def _under(nodeid, paths):
    return any(nodeid == p or nodeid.startswith((p + "::", p + "/")) for p in paths)


def _mentioning(path, tested, root=ROOT):
    """The test modules under ``tested`` whose text names ``path`` (in full, by name, as a module)."""
    terms = set(file_forms(path, root)) - {""}
    if path.endswith(".py") and path.startswith("examples/mysite/"):
        terms.add(path.removeprefix("examples/mysite/").removesuffix(".py").replace("/", "."))
    modules = []
    for where in tested:
        files = (
            [root / where] if where.endswith(".py") else sorted((root / where).rglob("test_*.py"))
        )
        for file in files:
            if file.is_file() and any(t in file.read_text(encoding="utf-8") for t in terms):
                modules.append(file.relative_to(root).as_posix())
    return modules


def describe(page, nodeids, root=ROOT, docs=DOCS):
    """``([Shown], [page-wide ids])``: each included file of ``page`` in page order, its tests."""
    everything = model.load(root / "snippets")
    shown, used = [], set()
    on_page = [i for i in nodeids if names(i, page_forms(page, docs))]
    for block in pages.page_blocks(page):
        rule = blocks.rule_for(block.lang)
        tested = _tested_by(rule)
        for include in block.includes:
            item = Shown(
                include.line,
                include.path + (f":{include.section}" if include.section else ""),
                rule,
            )
            files = model.variants(everything, include.path) if block.lang == "pycon" else []
            if files:
                _snippet_ids(item, files, nodeids)
            else:
                forms = file_forms(include.path, root)
                item.ids = [(i, None) for i in nodeids if names(i, forms)]
            item.ids += [(i, None) for i in on_page if _under(i, tested)]
            if tested and not any(_under(i, tested) for i, _ in item.ids):
                item.whole = _mentioning(include.path, tested, root) or tested
                item.note = f"no test id in {', '.join(tested)} names this file: " + (
                    "the modules there that mention it, whole"
                    if item.whole != tested
                    else "all of it"
                )
            used.update(i for i, _ in item.ids)
            shown.append(item)
    return shown, [i for i in on_page if i not in used]


def _snippet_ids(item, files, nodeids):
    """The ids of each snippet ``files`` stands for; a variant for another Django is not
    collected on this one: its id is the collected variant's, with its own name."""
    found = {s.rel: [i for i in nodeids if names(i, [s.include, s.rel])] for s in files}
    seen = next(((s, found[s.rel]) for s in files if found[s.rel]), None)
    for snippet in files:
        ids = found[snippet.rel]
        if not ids and seen and snippet.django:
            ids = [i.replace(seen[0].rel, snippet.rel) for i in seen[1]]
        item.ids += [(i, snippet.django if session_of(i) == "tests" else None) for i in ids]
    if seen and any(s.django and not found[s.rel] for s in files):
        item.note = f"variants for other Djangos are not collected on Django {seen[0].django}: their ids follow its"


def commands(shown, page_ids):
    """The ``./guide nox`` commands that run every test listed, one per session (and Django)."""
    ids = [(i, d) for item in shown for i, d in item.ids] + [(i, None) for i in page_ids]
    ids += [(w, None) for item in shown for w in item.whole if w.endswith(".py")]
    unique = list(dict.fromkeys(ids))
    lines = []
    tests = [(i, d) for i, d in unique if session_of(i) == "tests"]
    djangos = sorted({d for _, d in tests if d}, key=DJANGO_VERSIONS.index)
    if tests and not djangos:
        lines.append(f"./guide nox -s tests -- {shlex.join(i for i, _ in tests)}")
    for django in djangos:  # variants: one command per Django, each with the ids for any Django
        chosen = [i for i, d in tests if d in (None, django)]
        lines.append(
            f"./guide nox -s {shlex.quote(f'tests(django{django})')} -- {shlex.join(chosen)}"
        )
    for session in ("docs", "browser"):  # these sessions add posargs after their folder: -k
        chosen = [i for i, _ in unique if session_of(i) == session]
        if chosen:
            words = dict.fromkeys(_k_word(i) for i in chosen)
            lines.append(f"./guide nox -s {session} -- -k {shlex.quote(' or '.join(words))}")
    return lines


def _k_word(nodeid):
    """The name ``-k`` selects ``nodeid`` by: its test's name, else its module's file name."""
    name = nodeid.rsplit("::", 1)[-1] if "::" in nodeid else Path(nodeid).name
    return name if K_IDENT.match(name) else Path(nodeid.split("::")[0]).name


def report(page, shown, page_ids, root=ROOT):
    out = [f"{page.relative_to(root).as_posix()}: {len(shown)} includes, in page order", ""]
    width = max((len(s) for s in SESSIONS.values()), default=0)
    for item in shown:
        kind = f"{item.rule.kind}" if item.rule else "no rule for this block"
        out.append(f"line {item.line}  {kind}: {item.path}")
        if item.rule:
            out.append(f"    rule: tested by {item.rule.tested_by}")
        for nodeid, django in item.ids:
            only = f"  (Django {django} only)" if django else ""
            out.append(f"    {session_of(nodeid):<{width}}  {nodeid}{only}")
        for whole in item.whole:
            out.append(f"    {session_of(whole) or '?':<{width}}  {whole}  (whole)")
        if item.note:
            out.append(f"    ({item.note})")
        if not (item.ids or item.whole):
            out.append("    no test runs it")
    if page_ids:
        out += ["", "the page itself:"]
        out += [f"    {session_of(i):<{width}}  {i}" for i in page_ids]
    sessions = sorted(
        {session_of(i) for s in shown for i, _ in s.ids} | {session_of(i) for i in page_ids}
    )
    out += ["", "sessions:"] + [f"    {s:<{width}}  {SESSION_HELP[s]}" for s in sessions if s]
    lines = commands(shown, page_ids)
    out += ["", "run just these:"] + [f"    {line}" for line in lines]
    folders = sorted({w for s in shown for w in s.whole if not w.endswith(".py")})
    if folders:
        out.append(f"    (not in these: the whole of {', '.join(folders)})")
    return "\n".join(out)


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m guide.where", description=__doc__.split("\n")[0]
    )
    parser.add_argument(
        "page", help="docs/howto/reverse-proxy.md, howto/reverse-proxy or howto/reverse-proxy/"
    )
    args = parser.parse_args(argv)
    page = find_page(args.page)
    if page is None:
        close = close_names(args.page)
        listed = ", ".join(close) if close else ", ".join(page_names())
        print(
            f"no page {args.page!r} under docs/; {'close names' if close else 'the pages'}: {listed}"
        )
        return 2
    shown, page_ids = describe(page, collect())
    print(report(page, shown, page_ids))
    return 0


if __name__ == "__main__":
    sys.exit(main())
