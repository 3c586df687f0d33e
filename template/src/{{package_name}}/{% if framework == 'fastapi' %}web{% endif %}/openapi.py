"""Types for documenting responses in the OpenAPI schema."""

from typing import Any

#: The `responses=` argument of FastAPI routes: status code to description.
OpenAPIResponses = dict[int | str, dict[str, Any]]
