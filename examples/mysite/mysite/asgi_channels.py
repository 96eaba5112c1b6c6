"""The example project behind Channels' protocol router: HTTP and WebSockets.

``mysite/asgi.py`` stays as ``startproject`` made it (Django alone, HTTP
only). This module serves both protocols from one process:

    uvicorn mysite.asgi_channels:application
"""

# --8<-- [start:router]
import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mysite.settings")

# First, before anything imports a model: get_asgi_application() calls
# django.setup(), which fills the app registry. The consumers below import
# polls.models, and channels.auth imports django.contrib.auth; imported
# before this line they raise AppRegistryNotReady.
django_application = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from polls.routing import websocket_urlpatterns  # noqa: E402
from polls.tokens import TokenAuthMiddleware  # noqa: E402

application = ProtocolTypeRouter(
    {
        # Plain HTTP goes to Django, exactly as with mysite/asgi.py.
        "http": django_application,
        # A WebSocket handshake whose Origin is not in ALLOWED_HOSTS is refused
        # (HTTP 403) before any consumer runs; the others get the Django user
        # from the session cookie (scope["user"]), or from a token sent as a
        # subprotocol (polls/tokens.py), then the URL routing.
        "websocket": AllowedHostsOriginValidator(
            AuthMiddlewareStack(TokenAuthMiddleware(URLRouter(websocket_urlpatterns)))
        ),
    }
)
# --8<-- [end:router]
