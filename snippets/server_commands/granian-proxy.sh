granian --interface asgi mysite.asgi_proxied:application --host 127.0.0.1 --port 8000 \
    --access-log
