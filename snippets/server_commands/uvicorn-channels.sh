uvicorn mysite.asgi_channels:application --host 127.0.0.1 --port 8000
