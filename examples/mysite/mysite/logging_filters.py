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
            and record.getMessage().startswith("CancelledError exception in shielded future")
        )


# --8<-- [end:shielded_cancel]
