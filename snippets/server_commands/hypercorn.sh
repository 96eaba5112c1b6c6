hypercorn mysite.asgi_wrapped:application --bind 127.0.0.1:8000 --graceful-timeout 30
