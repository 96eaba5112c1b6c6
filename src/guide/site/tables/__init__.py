"""The tables the pages show in place of a marker, one module per source of figures.

Each module has ``MARKER`` (or several markers) and ``TABLES``,
``{marker: (source, render)}``; :func:`guide.site.markers.all_tables` finds
them all. ``render`` is a plain function of the data, unit-tested in
``tests/once/test_site_tables.py``.
"""
