"""The polls app's WebSocket URLs, routed by ``mysite/asgi_channels.py``."""

# --8<-- [start:routing]
from django.urls import path, re_path

from . import consumers

websocket_urlpatterns = [
    path("ws/polls/<int:pk>/", consumers.VotesConsumer.as_asgi()),
    # Last: any other path is refused cleanly, rather than with a 500.
    re_path(r"", consumers.NoRouteConsumer.as_asgi()),
]
# --8<-- [end:routing]
