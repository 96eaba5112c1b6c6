granian --interface asgi mysite.asgi_wrapped:application --host 127.0.0.1 --port 8000
