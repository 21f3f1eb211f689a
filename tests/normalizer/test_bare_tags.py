"""normalizer/email/bare_tags.py: attributes removed by the tokenizer's rules, the text untouched."""

from __future__ import annotations

import pytest

import normalizer.email.html as html_module
from normalizer.email.bare_tags import bare_tags
from normalizer.email.html import html_to_text


@pytest.mark.parametrize("markup,bare", [
    ('<p class="x" style="a>b">Жалоба</p>', "<p>Жалоба</p>"),  # a quoted ">" does not end the tag
    ("<b a='1' c=d e>x</b  z=1>", "<b>x</b>"),
    ("<div\n  class='q'\n>z</div>", "<div>z</div>"),
    ("<br/><img src=/x/>", "<br><img>"),
    ("<a/b/c>t", "<a>t"),
    ("<P CLASS=X>t", "<P>t"),
    ("<b=1 =2 a==3>x", "<b=1>x"),  # "=" belongs to the tag name, then starts an attribute's name
    ("<p <a>", "<p>"),  # "<a" is an attribute of p
    ('<b a="cut off', ""),  # the end of the markup inside a tag: the tokenizer drops the tag
    ("<!--> <b x=1>", "<!--> <b>"),  # "<!-->" is a whole (empty) comment
])
def test_tags_lose_their_attributes(markup: str, bare: str) -> None:
    assert bare_tags(markup) == bare


@pytest.mark.parametrize("markup", [
    "a < b и 1<2", "x<", "<3 кг", "t</", "</>t",
    "<!-- <b x=1> --> текст", "<!---> t", "<!-- a --!> t", "<!-- до конца <b x=1>",
    "<?xml a='1'?>t", '<!DOCTYPE html PUBLIC "-//W3C">t', "</ x=1>t", "<![CDATA[ a ]]>",
])
def test_text_comments_and_bogus_comments_are_kept_as_they_are(markup: str) -> None:
    assert bare_tags(markup) == markup


@pytest.mark.parametrize("element", ["script", "style", "textarea", "title", "noscript", "xmp"])
def test_raw_text_content_runs_to_its_end_tag(element: str) -> None:
    """A tag-like run cut off by the end tag stays as it is: it must not swallow the end tag (and with it the
    rest of the mail, as script content)."""
    markup = f'<{element} type="x">for(i=0;i<n</{element}><p class=a>Жалоба</p>'
    assert bare_tags(markup) == f"<{element}>for(i=0;i<n</{element}><p>Жалоба</p>"
    assert bare_tags(f"<{element}><b a=1>x</{element.upper()} >") == f"<{element}><b>x</{element.upper()}>"


def test_html_five_ever_is_given_no_attribute(monkeypatch: pytest.MonkeyPatch) -> None:
    """Unclosed formatting tags that differ in one attribute: html5ever compares each new one with every open
    one, cloning and sorting both attribute lists; 2,048 of them with ten attributes took 3.2 s."""
    read: list[str] = []
    simplified = html_module.simplified
    monkeypatch.setattr(html_module, "simplified", lambda markup: read.append(markup) or simplified(markup))
    flood = "".join(f"<b a0 a1 a2 a3 a4 a5 a6 a7 a8 a9 id={i}>" for i in range(2048))
    assert html_to_text(f"<p class=MsoNormal>Жалоба на связь</p>{flood}<div>хвост</div>") == (
        "Жалоба на связь\n\nхвост")
    assert read == ["<p>Жалоба на связь</p>" + "<b>" * 2048 + "<div>хвост</div>"]
