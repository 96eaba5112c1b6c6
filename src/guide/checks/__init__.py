"""Checks the project runs on its own files that have no Python package to run them."""
