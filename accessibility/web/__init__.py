"""The city's web application: the citizen's page and the HTTP API (ASGI, FastAPI)."""
