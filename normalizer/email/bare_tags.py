"""Markup with every tag's attributes removed, in one linear pass, before html5ever reads it.

Why: html5ever compares each new formatting element (b, i, font, a, ...) with every one still open, by
cloning and sorting both attribute lists (the HTML standard's "Noah's Ark" clause), so unclosed formatting
tags that differ in one attribute cost the square of their number times their attributes: 2,048 `<b a0 ... a9
id=N>` (80 KB) took 3.2 s, 128 KB of `<b a0 ... a5 id=N>` 9.6 s of the normalize worker, for one mail. The text
never needs an attribute (nh3 is told to keep none), and without attributes equal tags are equal: the clause
keeps three.

Only the tokenizer's rules for where a tag ends are followed (HTML standard, 13.2.5): an attribute value in
quotes may hold ">"; a comment runs to "-->" or "--!>" (or is "<!-->" / "<!--->"); "<!", "<?" and "</" not
followed by a letter open a bogus comment that ends at the first ">"; comments are copied as they are; a tag
that the end of the markup cuts off is dropped, as the tokenizer drops it. Text is never touched. The content
of a raw-text element (style, script, textarea, ...) runs to its end tag whatever it holds ("i<n</script>"
must not become a tag that swallows the end tag): it is rewritten on its own, keeping a tag-like run cut off
by the end tag as it is. Rewritten, not copied, because inside svg or math a <style> is an ordinary element
whose content is parsed as markup. What can differ from the markup as it came: tag-like text inside a textarea
loses its attributes, and inside svg or math, where a <font> with a colour, face or size ends the svg or math
and one without does not, text may move in or out of it (nh3 drops svg with its content). Neither is in mail a
person writes; the mail is kept whole in the blob store.
"""

from __future__ import annotations

import re

_SPACE = r"\t\n\f\r "
_ATTRIBUTES = (  # possessive throughout: one pass to the tag's closing ">" or the end, never back
    rf"(?:[{_SPACE}/]++"
    rf"|[^{_SPACE}/>][^{_SPACE}/>=]*+(?:[{_SPACE}]*+=[{_SPACE}]*+(?:\"[^\"]*+\"|'[^']*+'|[^{_SPACE}>]*+))?+)*+"
)
_RAW_TEXT = "script|style|textarea|title|xmp|iframe|noembed|noframes|noscript"
# Every token starts with "<", written once in front so the scan looks for it alone (much faster).
_COMMENT = r"(?P<comment>!--(?:>|->|.*?(?:--!?>|\Z)))|(?P<bogus>[!?][^>]*+>?|/(?=[^A-Za-z>])[^>]*+>?)"
# A tag with something after its name; a bare one (most of them) is left to the scan, which is faster.
_TAG = rf"(?P<end>/?)(?P<name>[A-Za-z][^{_SPACE}/>]*+)(?=[{_SPACE}/]){_ATTRIBUTES}(?P<close>>|\Z)"
# A raw-text element with its content, to its end tag (not included) or the end of the markup.
_RAW = (rf"(?P<raw>{_RAW_TEXT})(?=[{_SPACE}/>]){_ATTRIBUTES}(?P<raw_close>>|\Z)"
        rf"(?P<content>.*?(?=</(?P=raw)[{_SPACE}/>]|\Z))")
_TOKEN = re.compile(f"<(?:{_COMMENT}|{_RAW}|{_TAG})", re.DOTALL | re.IGNORECASE)
_TOKEN_WITHIN = re.compile(f"<(?:{_COMMENT}|{_TAG})", re.DOTALL | re.IGNORECASE)  # in raw text: no element opens


def bare_tags(markup: str) -> str:
    return _TOKEN.sub(_bare, markup)


def _bare(token: re.Match[str]) -> str:
    return _rewritten(token, cut_off="")


def _bare_within(token: re.Match[str]) -> str:
    return _rewritten(token, cut_off=token[0])


def _rewritten(token: re.Match[str], cut_off: str) -> str:
    """`cut_off`: what a tag the end cuts off becomes (the tokenizer drops it at the end of the markup; at the end
    of a raw-text element's content it was text)."""
    name = token["name"]
    if name is not None:  # the common case first
        return f"<{token['end']}{name}>" if token["close"] else cut_off
    if token.re is _TOKEN and token["raw"]:
        if not token["raw_close"]:
            return cut_off
        return f"<{token['raw']}>" + _TOKEN_WITHIN.sub(_bare_within, token["content"])
    return token[0]  # a comment or a bogus comment: as it is
