uvicorn mysite.asgi_wrapped:application --host 127.0.0.1 --port 8000 \
    --workers 2 --proxy-headers --forwarded-allow-ips 127.0.0.1
