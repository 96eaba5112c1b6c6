"""
ASGI config for mysite behind a proxy, for Granian.

Granian has no option that reads ``X-Forwarded-For`` and ``X-Forwarded-Proto``;
it ships an ASGI wrapper that does, ``granian.utils.proxies``. Serve
``mysite.asgi_proxied:application`` instead of ``mysite.asgi:application``:
for connections from ``trusted_hosts`` the wrapper puts the forwarded client
address and scheme into the ASGI scope, where Django reads them
(``request.META["REMOTE_ADDR"]``, ``request.scheme``).
"""

# --8<-- [start:wrap]
from granian.utils.proxies import wrap_asgi_with_proxy_headers

from mysite.asgi import application

application = wrap_asgi_with_proxy_headers(application, trusted_hosts="127.0.0.1")
# --8<-- [end:wrap]
