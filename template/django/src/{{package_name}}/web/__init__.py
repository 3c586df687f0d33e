"""Django adapter: settings, URLs, django-ninja API, middleware, error mapping."""
