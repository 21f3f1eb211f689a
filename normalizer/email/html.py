"""HTML mail to plain text: nh3 (html5ever) parses the markup, the stdlib HTML parser walks what it keeps.

Block elements become line breaks and blockquotes become "> " lines, so the quote stripper treats
an HTML reply (Gmail, Thunderbird, Mail.ru blockquotes) like a plain-text one. Scripts, styles and
the head are dropped by nh3 with their content; entities are decoded by the parser. The meaning of the
markup is read by parsers only (bare_tags finds where tags end, by the tokenizer's rules, and nothing else).

Why two parsers, and caps: the stdlib parser alone takes time in the square of the length of malformed
markup on this Python (CVE-2025-6069: 40 KB of "<a " took 8 s, a 25 MB part would take days), and a mail
is anyone's input. html5ever reads malformed markup in linear time, as browsers do; nh3 gives back only
the tags the text needs, without attributes or comments, well-formed, which the stdlib parser walks in
linear time. html5ever has squares of its own: unclosed formatting tags that differ in their attributes
(bare_tags removes the attributes first: it says why), and the nesting depth (every start tag looks down the
stack of open elements: 32,000 unclosed <ul> in 128 KB took 1.4 s, in 256 KB 5 s). So only the first
MAX_HTML_CHARS of a part's markup, and in them the first MAX_HTML_TAGS tags, are made into text (the depth
cannot exceed the tags), the cut marked; the mail itself is kept whole in the blob store. An HTML part is the
body only when the mail has no plain-text one, and its text is cut at 20,000 characters anyway
(normalizer.cleanup).
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

import nh3

from normalizer.email.bare_tags import bare_tags

_BLOCK = frozenset({
    "address", "article", "aside", "br", "dd", "div", "dl", "dt", "footer", "form", "h1", "h2", "h3", "h4",
    "h5", "h6", "header", "hr", "li", "main", "ol", "p", "pre", "section", "table", "tr", "ul",
})
# What the collector reacts to; nh3 drops every other tag and keeps its text, and drops these with their
# content (so the collector never sees them). Not "head": nh3 reads a fragment, as the body, so a <head> tag is
# ignored, as a browser ignores it there; what a head holds (title, style, script, ...) goes with its content,
# and stray text in a head is shown, as a browser shows it.
_KEPT = frozenset(_BLOCK | {"blockquote", "td", "th"})
_DROPPED_WITH_CONTENT = frozenset({"script", "style", "title", "template", "noscript", "object", "svg"})
MAX_HTML_CHARS = 128 * 1024
# Tags read (each "<" counts): bounds the nesting depth, so html5ever's cost, at ~40 ms for 4,096 nested <ul>
# (32,000 took 1.4 s). A mail's own text comes first and is long read by then: an Outlook paragraph is about
# five tags, so this is some 800 paragraphs, more than the 20,000 characters the text is cut at.
MAX_HTML_TAGS = 4096
MAX_QUOTE_DEPTH = 20  # "> " levels a line shows
HTML_CUT_MARKER = "\n\n… [письмо длиннее: продолжение — в исходном письме]"
_WHITESPACE = re.compile(r"[ \t\r\n\f]+")


class _TextCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = []
        self.current: list[str] = []
        self.quote_depth = 0
        self.line_depth = 0
        self.pre_depth = 0

    def newline(self) -> None:
        joined = "".join(self.current)
        text = joined.rstrip() if self.pre_depth else joined.strip()
        if text or (self.lines and self.lines[-1]):
            # Deeper quoting is shown at MAX_QUOTE_DEPTH: 20,000 nested blockquotes made a 100 MB text.
            self.lines.append("> " * min(self.line_depth, MAX_QUOTE_DEPTH) + text if text else "")
        self.current = []
        self.line_depth = self.quote_depth

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "blockquote":
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
        if tag == "blockquote":
            self.newline()
            self.quote_depth = max(0, self.quote_depth - 1)
            self.line_depth = self.quote_depth
        elif tag in _BLOCK:
            self.newline()
            if tag == "pre":
                self.pre_depth = max(0, self.pre_depth - 1)

    def handle_data(self, data: str) -> None:
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
    head = _head_of(html)
    collector = _TextCollector()
    collector.feed(simplified(bare_tags(head)))
    collector.close()
    collector.newline()
    text = "\n".join(collector.lines).strip()
    return (text + HTML_CUT_MARKER).lstrip() if len(head) < len(html) else text


def simplified(markup: str) -> str:
    """The markup as html5ever reads it, with only the tags the text needs, bare and well-formed."""
    return nh3.clean(markup, tags=set(_KEPT), clean_content_tags=set(_DROPPED_WITH_CONTENT), attributes={},
                     strip_comments=True, link_rel=None)


def _head_of(html: str) -> str:
    """The markup up to MAX_HTML_CHARS and MAX_HTML_TAGS, without a tag the cut would leave half-open (shown as
    text)."""
    head = html[:MAX_HTML_CHARS]
    tag = -1
    for _ in range(MAX_HTML_TAGS + 1):
        tag = head.find("<", tag + 1)
        if tag < 0:
            break
    else:
        return head[:tag]  # before the first tag past the cap
    if len(head) == len(html):
        return head
    opened = head.rfind("<")
    return head[:opened] if opened > head.rfind(">") else head
