hypercorn mysite.asgi_channels:application --bind 127.0.0.1:8000
