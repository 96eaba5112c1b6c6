"""The pages where readers think in pictures have a diagram, told again in words.

Each page of ``SOURCES`` has a Mermaid diagram, and each of its diagrams is
followed by its text alternative: a paragraph that starts ``In words:`` (and
the list right after it, when the paragraph is those words alone), which names
every name the diagram's labels name.

A name is a word of a label (or of ``accTitle``/``accDescr``) that reads as
code: a file (``mysite/asgi_channels.py``), a class (``VotesConsumer``), a
setting (``CONN_MAX_AGE``), a header (``X-Forwarded-For``), a function, an
attribute or an option (``show_latest``, ``votes.changed``, ``--workers``), a
route (``ws/polls/<int:pk>/``). A file must exist in the example project; any
other name must appear in one of the files the page's entry lists: the
example's code, the configuration the page shows, or the installed module the
page says it comes from; never the page itself.
"""

import importlib.util
import re
from pathlib import Path

import pytest

from guide.paths import DOCS, EXAMPLE_DIR, ROOT

SOURCES = {
    "howto/reverse-proxy.md": (
        "snippets/nginx/mysite.conf",
        "snippets/server_commands/uvicorn-proxy.sh",
        "examples/mysite/mysite/settings_production.py",
        "django.core.handlers.asgi",
    ),
    "howto/websockets.md": (
        "examples/mysite/mysite/asgi_channels.py",
        "examples/mysite/polls/routing.py",
        "examples/mysite/polls/consumers.py",
        "examples/mysite/polls/views.py",
        "examples/mysite/mysite/settings.py",
    ),
    "howto/production.md": (
        "snippets/systemd/gunicorn.socket",
        "snippets/systemd/gunicorn.service",
        "snippets/howto/production/threads.pycon",
        "snippets/howto/production/conn_max_age.pycon",
        "asgiref.sync",
    ),
}
IN_WORDS = "In words:"

QUOTED = re.compile(r'"([^"]*)"')
ACCESSIBLE = re.compile(r"^\s*acc(?:Title|Descr):(.*)$", re.M)
WORD = re.compile(r"[-\w./:<>]+")
HEADER = re.compile(r"[A-Z][A-Za-z]*(?:-[A-Z][A-Za-z]*)+")
CAMEL = re.compile(r"[A-Z][a-z0-9]+[A-Z]\w*")
FILE = re.compile(r"\w+(?:/\w+)+\.py")


def _text(label):
    """A label as the reader sees it: Mermaid's entities and line breaks decoded."""
    return label.replace("#lt;", "<").replace("#gt;", ">").replace("<br/>", " ")


def names(text):
    """The words of ``text`` that read as code (see the module's docstring)."""
    found = []
    for word in WORD.findall(text):
        word = word.strip(".:")
        if (
            "_" in word
            or re.search(r"[A-Za-z]\.[A-Za-z]", word)
            or word.startswith("--")
            or "<" in word
            or HEADER.fullmatch(word)
            or CAMEL.fullmatch(word)
        ):
            found.append(word)
    return found


def diagrams(markdown):
    """``[(source, text alternative)]`` of each ```` ```mermaid ```` block of a page."""
    lines = markdown.splitlines()
    found = []
    for start, line in enumerate(lines):
        if line.strip() != "```mermaid":
            continue
        end = lines.index("```", start + 1)
        blocks, block = [], []
        for after in lines[end + 1 :]:
            if after.strip():
                block.append(after.strip())
            elif block:
                blocks.append(" ".join(block))
                block = []
                if blocks != [IN_WORDS]:  # "In words:" alone: its list follows
                    break
        if block:
            blocks.append(" ".join(block))
        found.append(("\n".join(lines[start + 1 : end]), " ".join(blocks)))
    return found


def labels(source):
    """What a diagram says: its quoted labels, its accessible title and description."""
    body = source.split("---\n", 2)[-1] if source.startswith("---\n") else source
    return [_text(text) for text in QUOTED.findall(body) + ACCESSIBLE.findall(body)]


def source_text(source):
    """The text of a repository file, or of an installed module (``asgiref.sync``)."""
    if "/" in source:
        return (ROOT / source).read_text(encoding="utf-8")
    return Path(importlib.util.find_spec(source).origin).read_text(encoding="utf-8")


def test_names_reads_code_and_only_code():
    text = _text(
        "Django SECURE_PROXY_SSL_HEADER<br/>X-Forwarded-For, Host: HTTPS --workers 2 "
        "VotesConsumer votes.changed mysite/asgi_channels.py ws/polls/#lt;int:pk#gt;/ "
        "127.0.0.1:8000 poll-1 TLS ends here"
    )
    assert names(text) == [
        "SECURE_PROXY_SSL_HEADER",
        "X-Forwarded-For",
        "--workers",
        "VotesConsumer",
        "votes.changed",
        "mysite/asgi_channels.py",
        "ws/polls/<int:pk>/",
    ]


@pytest.mark.parametrize("page", SOURCES)
def test_the_page_has_a_diagram_told_again_in_words(page):
    found = diagrams((DOCS / page).read_text(encoding="utf-8"))
    assert found, f"{page}: no ```mermaid diagram"
    for number, (source, words) in enumerate(found, 1):
        assert words.startswith(IN_WORDS), (
            f"{page}, diagram {number}: not followed by its text alternative, "
            f"a paragraph starting {IN_WORDS!r} (found {words[:60]!r})"
        )
        shown = [name for text in QUOTED.findall(source) for name in names(_text(text))]
        missing = [name for name in dict.fromkeys(shown) if name not in words]
        assert not missing, f"{page}, diagram {number}: its text alternative omits {missing}"


@pytest.mark.parametrize("page", SOURCES)
def test_every_name_a_diagram_shows_exists(page):
    texts = {source: source_text(source) for source in SOURCES[page]}
    for number, (source, _) in enumerate(diagrams((DOCS / page).read_text(encoding="utf-8")), 1):
        for name in dict.fromkeys(n for label in labels(source) for n in names(label)):
            if FILE.fullmatch(name):
                assert (EXAMPLE_DIR / name).is_file(), (
                    f"{page}, diagram {number}: {name} is not a file of examples/mysite"
                )
            else:
                assert any(name in text for text in texts.values()), (
                    f"{page}, diagram {number}: {name!r} is in none of {list(texts)}"
                )
