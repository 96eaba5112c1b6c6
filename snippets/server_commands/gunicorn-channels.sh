gunicorn mysite.asgi_channels:application -k uvicorn_worker.UvicornWorker \
    --workers 2 --bind 127.0.0.1:8000
