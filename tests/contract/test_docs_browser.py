"""Section 1: the documentation page really renders, offline, in a browser.

The page is loaded by headless Chromium from the live server with no other
network: every script and style must come from the application and run under
its own Content-Security-Policy, or the operations never appear.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile

import pytest

from tests.contract.combinations import for_combinations
from tests.contract.server import LiveServer
from tests.harness.environment import in_ci

pytestmark = [pytest.mark.contract, for_combinations()]

#: Chromium's flags for a closed network and a throwaway profile.
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    # Lets the page's scripts run (fetch /openapi.json, build the UI) before
    # the DOM is dumped, without a fixed sleep.
    "--virtual-time-budget=15000",
)


def _chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    message = "Chromium is not installed (Debian package `chromium`)"
    if in_ci():
        pytest.fail(message)
    pytest.skip(message)


def test_docs_page_renders_its_operations(live: LiveServer) -> None:
    browser = _chromium()
    with tempfile.TemporaryDirectory(prefix="docs-browser-") as profile:
        command = [browser, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "--dump-dom"]
        result = subprocess.run(
            [*command, f"{live.base_url}/docs"],
            capture_output=True,
            text=True,
            timeout=90,
            check=False,
        )
    dom = result.stdout
    assert result.returncode == 0, result.stderr[-2000:]
    # Swagger UI builds one block per operation, from /openapi.json.
    assert "opblock" in dom, f"no operation was rendered:\n{dom[:2000]}"
    assert "/api/v1/items" in dom, f"the items operations are missing:\n{dom[:2000]}"
