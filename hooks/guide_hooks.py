"""The site's one MkDocs hooks file: each event is handed to :mod:`guide.site.hooks`."""

from guide.site.hooks import (  # noqa: F401  (MkDocs calls them by name)
    on_config,
    on_files,
    on_page_content,
    on_page_markdown,
    on_post_build,
    on_post_page,
    on_pre_build,
    on_serve,
)
