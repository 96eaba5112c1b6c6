"""Logging filters used by the example's production settings."""

import asyncio
import logging


# --8<-- [start:shielded_cancel]
class IgnoreShieldedCancelledError(logging.Filter):
    """Drop asyncio's "CancelledError exception in shielded future" records.

    From Python 3.14, ``asyncio.shield()`` reports the exception of a shielded
    future that ends after its waiter was cancelled. asgiref awaits every
    ``sync_to_async`` call through ``shield()``, so a client that disconnects
    while sync code runs can leave such a record, at ERROR, for a request
    nobody is waiting for. Only that case is dropped: a shielded future that
    fails with any other exception, and every other asyncio error, still pass.
    """

    def filter(self, record):
        exception = record.exc_info[1] if record.exc_info else None
        return not (
            isinstance(exception, asyncio.CancelledError)
            and record.getMessage().startswith(
                "CancelledError exception in shielded future"
            )
        )


# --8<-- [end:shielded_cancel]


# --8<-- [start:client_error]
class ClientErrorWithoutTraceback(logging.Filter):
    """Keep a refused request's message as one WARNING line, without its traceback.

    Django logs every ``SuspiciousOperation`` it answers with 400 at ERROR,
    with a traceback of its own request parsing. For a body over a size
    limit, the message says all there is to know: which setting refused it.
    """

    def filter(self, record):
        record.exc_info = record.exc_text = None
        record.levelno, record.levelname = logging.WARNING, "WARNING"
        return True


# --8<-- [end:client_error]
