"""Reading the /docs page: which scripts and styles it loads, and from where."""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass, field
from html.parser import HTMLParser


@dataclass
class PageAssets:
    scripts: list[str] = field(default_factory=list)
    stylesheets: list[str] = field(default_factory=list)
    inline_scripts: list[tuple[str, str | None]] = field(default_factory=list)
    inline_styles: list[tuple[str, str | None]] = field(default_factory=list)


class _AssetParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.assets = PageAssets()
        self._inline: tuple[str, str | None] | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "script":
            source = attributes.get("src")
            if source:
                self.assets.scripts.append(source)
            else:
                self._inline, self._text = ("script", attributes.get("nonce")), []
        elif tag == "style":
            self._inline, self._text = ("style", attributes.get("nonce")), []
        elif tag == "link" and "stylesheet" in (attributes.get("rel") or "").lower().split():
            href = attributes.get("href")
            if href:
                self.assets.stylesheets.append(href)

    def handle_data(self, data: str) -> None:
        if self._inline is not None:
            self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if self._inline is not None and tag == self._inline[0]:
            content = "".join(self._text)
            if content.strip():
                target = (
                    self.assets.inline_scripts if tag == "script" else self.assets.inline_styles
                )
                target.append((content, self._inline[1]))
            self._inline = None


def page_assets(html: str) -> PageAssets:
    parser = _AssetParser()
    parser.feed(html)
    parser.close()
    return parser.assets


def inline_allowed(sources: list[str], content: str, nonce: str | None) -> bool:
    """Whether a CSP source list lets this inline script or style run."""
    if nonce and f"'nonce-{nonce}'" in sources:
        return True
    digests = {
        f"'{name}-{base64.b64encode(hashlib.new(name, content.encode()).digest()).decode()}'"
        for name in ("sha256", "sha384", "sha512")
    }
    if digests & set(sources):
        return True
    has_nonce_or_hash = any(s.startswith(("'nonce-", "'sha")) for s in sources)
    return "'unsafe-inline'" in sources and not has_nonce_or_hash
