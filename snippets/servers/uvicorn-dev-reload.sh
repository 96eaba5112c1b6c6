uvicorn mysite.asgi_wrapped:application --reload --host 127.0.0.1 --port 8000
