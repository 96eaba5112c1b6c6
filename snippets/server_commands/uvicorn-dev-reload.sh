uvicorn mysite.asgi_wrapped:application --reload --reload-dir mysite \
    --reload-dir polls --host 127.0.0.1 --port 8000
