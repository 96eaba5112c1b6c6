gunicorn mysite.asgi:application -k uvicorn_worker.UvicornWorker \
    --workers 2 --bind 127.0.0.1:8000 --graceful-timeout 30
