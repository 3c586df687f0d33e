"""One request per endpoint before any load: is the app answering what we measure?"""

from typing import Any

from bench.api_client import ApiClient, ApiError
from bench.results import ENDPOINTS

USER_FIELDS = {"id", "email", "full_name", "is_active", "created_at"}


def key_paths(body: Any, prefix: str = "") -> list[str]:
    """Every key of a JSON body, nested keys as `outer.inner`, list members as `[]`."""
    if isinstance(body, dict):
        paths = []
        for key, value in body.items():
            path = f"{prefix}{key}"
            paths.append(path)
            paths.extend(key_paths(value, f"{path}."))
        return sorted(paths)
    if isinstance(body, list) and body:
        return key_paths(body[0], prefix.rstrip(".") + "[].")
    return []


def check_responses(client: ApiClient, token: str, item_count: int) -> dict[str, list[str]]:
    """Fail early unless both endpoints answer 200 with the seeded data.

    A load run against an endpoint that answers 401 or an empty page would
    measure the wrong thing at full speed. Returns each body's key paths, so
    the bench can check that the baseline answers in the same shape.
    """
    shapes: dict[str, list[str]] = {}
    for endpoint in ENDPOINTS:
        body = client.get_json(endpoint.path, token)
        if endpoint.name == "items":
            page = body.get("items")
            expected = min(int(body.get("limit", 0)), item_count)
            if (
                body.get("total") != item_count
                or not isinstance(page, list)
                or len(page) != expected
            ):
                raise ApiError(
                    f"{endpoint.label} should list {expected} of {item_count} seeded items; "
                    f"it answered total={body.get('total')!r} with "
                    f"{len(page) if isinstance(page, list) else 'no'} items"
                )
        elif missing := USER_FIELDS - body.keys():
            raise ApiError(f"{endpoint.label} lacks {sorted(missing)}")
        shapes[endpoint.name] = key_paths(body)
    return shapes
