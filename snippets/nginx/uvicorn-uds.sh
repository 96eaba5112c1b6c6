uvicorn mysite.asgi:application --uds /run/mysite/mysite.sock
