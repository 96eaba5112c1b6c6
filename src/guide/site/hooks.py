"""The MkDocs events of the site, in one place (``hooks/guide_hooks.py`` hands them here).

- ``on_config``: the site URL and the repository's URL checked
  (:mod:`guide.site.site_url`, :mod:`guide.site.repository`), the
  ``llms.txt`` sections taken from the nav (:mod:`guide.site.llms`).
- ``on_pre_build``: the snippet model and the nav's pages (titles, descriptions), read once per
  build; the browser runtime laid out under content-hashed names
  (:mod:`guide.site.runtime_files`).
- ``on_files``: the example project's download added to the site
  (:mod:`guide.site.example_download`), and the tutorial's checkpoints, one zip
  per step (:mod:`guide.site.tutorial_checkpoints`).
- ``on_page_markdown``: every block checked against the table of block rules
  (:mod:`guide.content.blocks`), doctest blocks made runnable
  (:mod:`guide.site.runnable_blocks`, which notes the snippets shown), tables drawn in place of their markers
  (:mod:`guide.site.markers`), lists of pages drawn from the nav in place of theirs
  (:mod:`guide.site.page_lists`), the repository's clone command in place of its
  marker (:mod:`guide.site.clone_command`). A page's errors name the line of its
  file, front matter counted.
- ``on_page_content``: each repository path shown made a link to it
  (:mod:`guide.site.repo_links`; before the plugins, so ``llms.txt`` has the
  links too), code blocks left out of the search index (:mod:`guide.site.search`:
  previews show prose), and Mermaid (with ``on_post_page``), served by the site
  itself, on the pages that have a diagram.
- ``on_post_page``: the browser runtime's entry points named in every page.
- ``on_post_build``: the code editor bundled, Mermaid and the browser runtime
  (under content-hashed names) copied, old anchors of a split page sent to their
  new pages (:mod:`guide.site.moved_anchors`), ``verified.json`` written (:mod:`guide.site.verified`).
- ``on_serve``: ``mkdocs serve`` also watches the benchmark results.

The guide's own errors become :class:`mkdocs.exceptions.PluginError`, which
stops ``mkdocs build --strict`` with the page, the line and what to write.
"""

import logging
import tempfile

from mkdocs.exceptions import PluginError
from mkdocs.plugins import event_priority
from mkdocs.structure.files import File

from guide.content import blocks, pages
from guide.content import snippets as model
from guide.site import (
    assets,
    clone_command,
    code_blocks,
    editor_bundle,
    example_download,
    llms,
    markers,
    moved_anchors,
    page_lists,
    repo_links,
    repository,
    runnable_blocks,
    runtime_files,
    search,
    site_url,
    tutorial_checkpoints,
    verified,
)

_state = {}
log = logging.getLogger("mkdocs.hooks.guide")


def on_config(config):
    try:
        if config["site_url"]:  # (a test's minimal mkdocs.yml may have none)
            config["site_url"] = site_url.check(config["site_url"])
    except site_url.SiteURLError as exc:
        raise PluginError(f"{exc} (set {site_url.ENV}, or mkdocs.yml's site_url)") from exc
    try:
        if config["repo_url"]:
            config["repo_url"] = repository.check(config["repo_url"])
            _state["branch"] = repository.branch(config["edit_uri"])
        else:
            # No repository, no "edit this page" links (MkDocs warns of an edit_uri
            # without a repo_url, which fails the strict build).
            config["edit_uri"] = None
    except repository.RepoURLError as exc:
        raise PluginError(f"{exc} (set {repository.ENV}, or mkdocs.yml's repo_url)") from exc
    llms.configure(config)
    return config


def on_pre_build(config):
    repository.files.cache_clear()  # (mkdocs serve: a file added since the last build)
    repository.folders.cache_clear()
    _state["diagrams"] = False
    _state["shown"] = {}
    _state["tables"] = markers.all_tables()
    _state["sections"] = page_lists.sections(config["nav"], config["docs_dir"])
    try:
        _state["snippets"] = model.load()
        _state["browser_django"] = model.browser_django()
    except model.SnippetError as exc:
        raise PluginError(str(exc)) from exc
    _state["stage"] = tempfile.TemporaryDirectory(prefix="guide-runtime-")
    _state["runtime"] = runtime_files.prepare(_state["stage"].name)
    if _state["runtime"] is None:
        log.info(
            "browser runtime not built (python -m guide.browser_build.build build/browser): "
            "Run buttons will say so"
        )


def on_files(files, config):
    files.append(File.generated(config, example_download.URL, content=example_download.build()))
    for step in range(1, tutorial_checkpoints.STEPS + 1):
        url = tutorial_checkpoints.URL.format(step)
        files.append(File.generated(config, url, content=tutorial_checkpoints.build(step)))
    return files


def on_page_markdown(markdown, page, config, files):
    path = page.file.abs_src_path
    try:
        blocks.check(markdown, path)
        shown = []
        markdown = runnable_blocks.render(
            markdown, path, _state["snippets"], _state["browser_django"], shown
        )
        for snippet in shown:
            _state["shown"].setdefault(snippet.rel, (snippet, set()))[1].add(page.url)
    except pages.PageError as exc:
        line = exc.line + pages.front_matter_lines(page.file.content_string)
        raise PluginError(str(pages.PageError(exc.page, line, exc.message))) from exc
    markdown = page_lists.fill(markdown, page.file.src_uri, _state["sections"])
    markdown = markers.fill(markdown, page.file.src_path, _state["tables"])
    return clone_command.fill(markdown, config["repo_url"])


@event_priority(50)  # before mkdocs-llmstxt turns the page into Markdown
def on_page_content(html, page, config, files):
    example = page.file.src_uri not in repo_links.OWN_PROJECT
    html = repo_links.link(html, config["repo_url"], _state.get("branch"), example)
    html = search.exclude_code(html)
    html = code_blocks.mark_line_spans(html)
    if assets.has_diagram(html, page.file.src_uri):
        page.meta["mermaid"] = True
        _state["diagrams"] = True
    return html


def on_post_page(output, page, config):
    if page.meta.get("mermaid"):
        output = assets.load_mermaid(output, page.url)
    if _state["runtime"]:
        output = output.replace("</head>", _state["runtime"].meta_tag() + "</head>", 1)
    return output


def on_post_build(config):
    editor_bundle.bundle(config["site_dir"])
    if _state["runtime"]:
        runtime_files.install(_state["runtime"], config["site_dir"])
    _state.pop("stage").cleanup()
    verified.write(config["site_dir"], _state["shown"])
    moved_anchors.fill(config["site_dir"])
    if _state.get("diagrams"):
        assets.copy_mermaid(config["site_dir"])


def on_serve(server, config, builder):
    for path in markers.results_files(markers.all_tables()):
        server.watch(str(path))
    return server
