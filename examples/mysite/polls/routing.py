"""The polls app's WebSocket URLs, routed by ``mysite/asgi_channels.py``."""

# --8<-- [start:routing]
from django.urls import path

from . import consumers

websocket_urlpatterns = [
    path("ws/polls/<int:pk>/", consumers.VotesConsumer.as_asgi()),
]
# --8<-- [end:routing]
