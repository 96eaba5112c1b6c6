"""Django's framework modules a snippet's process has imported before it runs.

One list for both places that make such a process: the test suite's fork
server (:data:`guide.content.doctests.PRELOAD` adds ``guide.content.doctests`` itself) and the
browser runtime, whose memory snapshot holds them (``guide.browser_build.build``
ships this file in the runtime wheel as ``guide_preload.py``, imported by
``browser/runtime/guide_session.py``). Importing them reads no settings. This
module imports nothing at its top, so that it runs as it is inside Pyodide.

:data:`PRELOAD` names the roots. ``django.setup()`` then imports some 170 more
modules for the example project (the contrib apps, the database backend, the
middleware), most of which import without settings too: a process that has
imported those as well sets Django up in a quarter of the time (66 ms against
290 ms in CPython 3.13 with Django 6.1 on the machine this was written on).
Which they are is found, not listed: :func:`setup_imports` in a throwaway
process that may read settings, then :func:`import_settings_free` where the
fresh processes are made (the fork server, the memory snapshot). The same rule
in both places, so a snippet meets the same modules on a server and in a browser.
"""

PRELOAD = (
    "asgiref.sync",
    "django",
    "django.core.handlers.asgi",
    "django.db.models",
    "django.http",
    "django.test",
)


def setup_imports(project_dir):
    """The modules ``django.setup()`` and an ASGI handler import, in import order.

    For a throwaway process (or interpreter) that has imported :data:`PRELOAD`
    and has the project's settings: it sets Django up and makes the handler, as
    importing the project's ``asgi`` module does. The project's own modules
    (under ``project_dir``) are left out: a snippet's process imports them itself.
    """
    import os
    import sys

    from django.core.asgi import get_asgi_application

    before = set(sys.modules)
    get_asgi_application()
    inside = os.path.join(os.path.realpath(project_dir), "")
    found = []
    for name, module in list(sys.modules.items()):
        spec = getattr(module, "__spec__", None)
        if name in before or spec is None or spec.name != name:  # __mp_main__, aliases
            continue
        origin = spec.origin if spec.has_location else None
        if origin and os.path.realpath(origin).startswith(inside):
            continue
        found.append(name)
    return found


def import_settings_free(names):
    """Import those of ``names`` that import without settings; the names imported, in order.

    ``names``: :func:`setup_imports` of a throwaway process. A module that
    needs settings or the app registry (the models, the forms and admin
    classes built on them) raises here and is left for ``django.setup()``, as
    is one that cannot be imported before another of them. Settings are hidden
    meanwhile (``DJANGO_SETTINGS_MODULE`` unset), so none is read; raises
    ``RuntimeError`` if Django's settings were configured all the same.
    """
    import importlib
    import os
    import sys

    from django.conf import settings

    hidden = os.environ.pop("DJANGO_SETTINGS_MODULE", None)
    imported = []
    try:
        for name in names:
            if name in sys.modules:
                continue
            try:
                importlib.import_module(name)
            except Exception:  # needs settings (ImproperlyConfigured), or an import cycle
                continue
            imported.append(name)
    finally:
        if hidden is not None:
            os.environ["DJANGO_SETTINGS_MODULE"] = hidden
    if settings.configured:
        raise RuntimeError("importing Django's set-up modules read the settings")
    return imported
