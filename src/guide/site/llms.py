"""``llms.txt`` and ``llms-full.txt`` (the ``mkdocs-llmstxt`` plugin), sectioned as the nav is.

The plugin takes its sections as a list of pages in ``mkdocs.yml``; the guide
keeps no second list: :func:`sections` derives them from the nav (each
top-level entry a section, its pages in nav order), and the hooks' ``on_config``
hands them to the plugin, so a page added to the nav joins ``llms.txt`` by itself.
"""

PLUGIN = "llmstxt"


def _pages(item):
    """The Markdown files of one nav entry, in order (nested sections flattened, links left out)."""
    if isinstance(item, str):
        return [] if "://" in item else [item]
    if isinstance(item, dict):
        return [page for value in item.values() for page in _pages(value)]
    if isinstance(item, list):
        return [page for entry in item for page in _pages(entry)]
    return []


def sections(nav):
    """``{section title: [page, ...]}`` from a MkDocs nav (``config["nav"]``)."""
    found = {}
    for item in nav or []:
        if isinstance(item, dict):
            for title, value in item.items():
                pages = _pages(value)
                if pages:
                    found.setdefault(title, []).extend(pages)
        else:
            found.setdefault("Pages", []).extend(_pages(item))
    return found


def configure(config):
    """Give the ``llmstxt`` plugin (if enabled) the nav's sections, unless mkdocs.yml lists some."""
    plugin = config["plugins"].get(PLUGIN)
    if plugin is not None and not plugin.config.sections:
        plugin.config.sections = sections(config["nav"])
