gunicorn mysite.asgi_wrapped:application --worker-class asgi \
    --bind 127.0.0.1:8000 --root-path /app
