#!/bin/sh
# Runs before the server command: migrate, then become the server.
set -e
python manage.py migrate --no-input
# exec: the server replaces this shell, keeps its process id and gets the signals.
exec "$@"
