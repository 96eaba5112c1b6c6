"""A view that leaks: what ``tracemalloc`` finds on docs/howto/memory.md.

Each request adds to a module-level list that nothing ever empties, so the
process keeps every request's data until it exits. Served under its own
URLconf (``ROOT_URLCONF="polls.leaks"``) by the page's example, not by the
project's ``urls.py``.
"""

from django.http import JsonResponse
from django.urls import path

# --8<-- [start:leak]
SEEN = []  # module level: lives as long as the process


async def remember(request):
    # The bug: a copy of each request's headers and details, never removed.
    SEEN.append(dict(request.META))
    return JsonResponse({"seen": len(SEEN)})


# --8<-- [end:leak]

urlpatterns = [path("remember/", remember)]
