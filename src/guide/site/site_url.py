"""The site's public URL: where canonical links, ``sitemap.xml`` and ``llms.txt`` point.

``mkdocs.yml`` reads it from ``GUIDE_SITE_URL`` (``!ENV``), and falls back to
:data:`LOCAL` for local builds (``nox -s docs``, ``nox -s serve``). ``nox -s
publish`` sets it from ``--site-url URL`` or ``GUIDE_SITE_URL``; the GitHub
Pages workflow passes the URL ``actions/configure-pages`` reports.
:func:`check` refuses anything that is not ``http(s)://host/...``, in one
line (the hooks call it on every build).
"""

import ipaddress
import sys
from urllib.parse import urlsplit

ENV = "GUIDE_SITE_URL"
LOCAL = "http://127.0.0.1:8000/"
"""The URL of local builds: mkdocs.yml's fallback, where ``./guide serve`` serves."""


class SiteURLError(ValueError):
    """A site URL that is not ``http(s)://host/...``."""


def check(url):
    """``url`` ending in ``/``; raises :class:`SiteURLError` unless it is ``http(s)://host/...``."""
    parts = urlsplit(url.strip()) if isinstance(url, str) else None
    if (
        not parts
        or parts.scheme not in ("http", "https")
        or not parts.hostname
        or parts.query
        or parts.fragment
        or any(c.isspace() for c in url.strip())
    ):
        raise SiteURLError(
            f"site URL {url!r} is not http(s)://host/path/ (e.g. https://example.org/guide/)"
        )
    url = url.strip()
    return url if url.endswith("/") else url + "/"


def is_loopback(host):
    """Whether ``host`` (a URL's hostname) is this machine: localhost, 127.x, ::1, 0.0.0.0."""
    host = host.strip("[]").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return address.is_loopback or address.is_unspecified


def main(argv=None):
    """``python -m guide.site.site_url URL``: print the URL checked, or say in one line why not."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m guide.site.site_url URL", file=sys.stderr)
        return 2
    try:
        print(check(args[0]))
    except SiteURLError as error:
        print(f"guide.site.site_url: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
