gunicorn mysite.asgi_wrapped:application --worker-class asgi \
    --workers 2 --bind 127.0.0.1:8000 --graceful-timeout 30
