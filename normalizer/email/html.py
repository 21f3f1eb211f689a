"""HTML mail to plain text with the stdlib HTML parser (never regex on markup).

Block elements become line breaks and blockquotes become "> " lines, so the quote stripper treats
an HTML reply (Gmail, Thunderbird, Mail.ru blockquotes) like a plain-text one. Scripts, styles and
the head are dropped; entities are decoded by the parser.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

_SKIP = frozenset({"script", "style", "head", "title", "template", "noscript", "object", "svg"})
_BLOCK = frozenset({
    "address", "article", "aside", "br", "dd", "div", "dl", "dt", "footer", "form", "h1", "h2", "h3", "h4",
    "h5", "h6", "header", "hr", "li", "main", "ol", "p", "pre", "section", "table", "tr", "ul",
})
_WHITESPACE = re.compile(r"[ \t\r\n\f]+")


class _TextCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = []
        self.current: list[str] = []
        self.quote_depth = 0
        self.line_depth = 0
        self.skip_depth = 0
        self.pre_depth = 0

    def newline(self) -> None:
        joined = "".join(self.current)
        text = joined.rstrip() if self.pre_depth else joined.strip()
        if text or (self.lines and self.lines[-1]):
            self.lines.append("> " * self.line_depth + text if text else "")
        self.current = []
        self.line_depth = self.quote_depth

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP:
            self.skip_depth += 1
        elif tag == "blockquote":
            self.newline()
            self.quote_depth += 1
            self.line_depth = self.quote_depth
        elif tag in _BLOCK:
            self.newline()
            if tag == "li":
                self.current.append("- ")
            elif tag == "pre":
                self.pre_depth += 1
        elif tag in ("td", "th"):
            self.current.append(" ")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _BLOCK:
            self.newline()

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP:
            self.skip_depth = max(0, self.skip_depth - 1)
        elif tag == "blockquote":
            self.newline()
            self.quote_depth = max(0, self.quote_depth - 1)
            self.line_depth = self.quote_depth
        elif tag in _BLOCK:
            self.newline()
            if tag == "pre":
                self.pre_depth = max(0, self.pre_depth - 1)

    def handle_data(self, data: str) -> None:
        if self.skip_depth:
            return
        if self.pre_depth:
            first, *rest = data.split("\n")
            self.current.append(first)
            for line in rest:
                self.newline()
                self.current.append(line)
            return
        if not self.current:
            data = data.lstrip()
        self.current.append(_WHITESPACE.sub(" ", data))


def html_to_text(html: str) -> str:
    collector = _TextCollector()
    collector.feed(html)
    collector.close()
    collector.newline()
    return "\n".join(collector.lines).strip()
