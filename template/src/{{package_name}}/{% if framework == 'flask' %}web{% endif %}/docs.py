"""Interactive API documentation, served entirely by the application.

Swagger UI's files come from the swagger-ui-bundle package and the page has
no inline script, so it works offline under a strict Content-Security-Policy.
"""

from pathlib import Path

from flask import Blueprint, Response, send_from_directory
from swagger_ui_bundle import swagger_ui_path

DOCS_PATH = "/docs"
ASSETS_PATH = "/docs/assets"

_PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{title} - API documentation</title>
<link rel="stylesheet" href="{assets}/swagger-ui.css">
</head>
<body>
<div id="swagger-ui"></div>
<script src="{assets}/swagger-ui-bundle.js"></script>
<script src="{docs}/init.js"></script>
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


def docs_blueprint(title: str, openapi_url: str) -> Blueprint:
    page = _PAGE.format(title=title, assets=ASSETS_PATH, docs=DOCS_PATH)
    script = _INIT_SCRIPT.format(openapi_url=openapi_url)
    assets = Path(swagger_ui_path)
    blueprint = Blueprint("docs", __name__, url_prefix=DOCS_PATH)

    @blueprint.get("")
    def docs_page() -> Response:
        return Response(page, mimetype="text/html")

    @blueprint.get("/init.js")
    def docs_script() -> Response:
        return Response(script, mimetype="text/javascript")

    @blueprint.get("/assets/<path:filename>")
    def docs_asset(filename: str) -> Response:
        return send_from_directory(assets, filename)

    return blueprint
