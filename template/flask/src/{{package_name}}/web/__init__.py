"""HTTP adapter (Flask): app factory, routes, request parsing, middleware, error mapping."""
