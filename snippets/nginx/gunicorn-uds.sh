gunicorn mysite.asgi:application -k uvicorn_worker.UvicornWorker \
    --workers 2 --bind unix:/run/mysite/mysite.sock
