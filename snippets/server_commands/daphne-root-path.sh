daphne -b 127.0.0.1 -p 8000 --root-path /app mysite.asgi:application
