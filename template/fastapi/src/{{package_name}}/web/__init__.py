"""HTTP adapter (FastAPI): routes, dependencies, middleware, error mapping."""
