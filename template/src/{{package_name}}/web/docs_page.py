"""The interactive API documentation page, as plain text any framework can serve.

Swagger UI starts from a separate script instead of an inline one, so the page
works under a strict Content-Security-Policy (`script-src 'self'`).
"""

DOCS_PATH = "/docs"
INIT_SCRIPT_PATH = f"{DOCS_PATH}/init.js"

_PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{title} - API documentation</title>
<link rel="stylesheet" href="{stylesheet}">
</head>
<body>
<div id="swagger-ui"></div>
<script src="{bundle}"></script>
<script src="{init_script}"></script>
</body>
</html>
"""

_INIT_SCRIPT = """window.addEventListener("load", function () {{
  window.ui = SwaggerUIBundle({{
    url: "{openapi_url}",
    dom_id: "#swagger-ui",
    deepLinking: true,
    persistAuthorization: false
  }});
}});
"""


def docs_page(title: str, *, stylesheet_url: str, bundle_url: str) -> str:
    """The HTML page; the two URLs point at Swagger UI's own files."""
    return _PAGE.format(
        title=title, stylesheet=stylesheet_url, bundle=bundle_url, init_script=INIT_SCRIPT_PATH
    )


def init_script(openapi_url: str) -> str:
    """The script that starts Swagger UI on the OpenAPI document."""
    return _INIT_SCRIPT.format(openapi_url=openapi_url)
