daphne -b 127.0.0.1 -p 8000 --proxy-headers mysite.asgi_wrapped:application
