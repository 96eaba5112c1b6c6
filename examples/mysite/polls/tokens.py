"""Opening a socket without cookies: a signed token sent as a WebSocket subprotocol.

A single-page app on another host, or a mobile app, has no session cookie to
send with the handshake. It asks the ``socket_token`` view (as a logged-in
user) for a token, then opens the socket with two subprotocols,
``["polls.token", TOKEN]``. ``TokenAuthMiddleware`` checks the token before any
consumer runs and puts its user in ``scope["user"]``, where the cookie's user
would be; a bad or expired token refuses the handshake (HTTP 403) with one line.

Not in the query string (``/ws/polls/1/?token=...``): servers write the path
and its query string to their access log, so the token would be there too.
"""

import logging

from channels.middleware import BaseMiddleware
from channels.security.websocket import WebsocketDenier
from django.contrib.auth import get_user_model
from django.core import signing

logger = logging.getLogger(__name__)

# --8<-- [start:token]
PROTOCOL = "polls.token"
"""The subprotocol a client offers first, with its token second."""
MAX_AGE = 60
"""Seconds a token opens sockets for; a client asks for a new one to reconnect later."""


def signer():
    # sep=".": a subprotocol is an HTTP token, which may not hold the ":" that
    # signing.dumps() puts between the value, the time and the signature.
    return signing.TimestampSigner(salt="polls.socket", sep=".")


def socket_token(user):
    """A token that opens sockets as ``user`` for ``MAX_AGE`` seconds."""
    return signer().sign_object(user.pk)


# --8<-- [end:token]


# --8<-- [start:middleware]
class TokenAuthMiddleware(BaseMiddleware):
    """Authenticates a handshake that offers ``["polls.token", TOKEN]``.

    Any other handshake goes on as it came, with the session cookie's user.
    """

    async def __call__(self, scope, receive, send):
        offered = scope.get("subprotocols", [])
        if offered[:1] != [PROTOCOL]:
            return await super().__call__(scope, receive, send)
        token = offered[1] if len(offered) > 1 else ""
        try:
            pk = signer().unsign_object(token, max_age=MAX_AGE)
        except signing.SignatureExpired:
            why = "token expired"
        except signing.BadSignature:
            why = "bad token"
        else:
            users = get_user_model().objects.filter(pk=pk, is_active=True)
            if user := await users.afirst():
                return await super().__call__({**scope, "user": user}, receive, send)
            why = "no such user"
        logger.warning("socket refused for %s: %s", scope["path"], why)
        # Closed before accept(): the server answers the handshake with 403.
        return await WebsocketDenier()(scope, receive, send)


# --8<-- [end:middleware]
