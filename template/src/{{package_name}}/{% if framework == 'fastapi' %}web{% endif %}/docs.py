"""Interactive API documentation, served entirely by the application.

Swagger UI's files come from the swagger-ui-bundle package and the page has
no inline script, so it works offline under a strict Content-Security-Policy.
"""

from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import HTMLResponse, PlainTextResponse
from fastapi.staticfiles import StaticFiles
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


def install_docs(app: FastAPI, title: str, openapi_url: str) -> None:
    page = _PAGE.format(title=title, assets=ASSETS_PATH, docs=DOCS_PATH)
    script = _INIT_SCRIPT.format(openapi_url=openapi_url)

    app.mount(ASSETS_PATH, StaticFiles(directory=Path(swagger_ui_path)), name="docs-assets")

    @app.get(DOCS_PATH, include_in_schema=False)
    async def docs_page() -> HTMLResponse:
        return HTMLResponse(page)

    @app.get(f"{DOCS_PATH}/init.js", include_in_schema=False)
    async def docs_script() -> PlainTextResponse:
        return PlainTextResponse(script, media_type="text/javascript")
