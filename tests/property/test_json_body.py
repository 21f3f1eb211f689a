"""Properties of the JSON depth gauge (workers/web/json_depth.py) and the JSON body readers in front of the
parsers (the OK webhook body, the API body): the depth is exact without parsing, and what passes the gauge
never makes json.loads recurse too deep."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from channels.base import BadSubmission
from channels.ok.parse import decode_body
from tests.property.strategies import json_trees
from workers.web.json_depth import MAX_DEPTH, json_depth, too_deep


def depth(value: Any) -> int:
    if isinstance(value, list):
        return 1 + max((depth(v) for v in value), default=0)
    if isinstance(value, dict):
        return 1 + max((depth(v) for v in value.values()), default=0)
    return 0


@given(json_trees, st.booleans(), st.sampled_from(["utf-8", "utf-16", "utf-32"]))
def test_depth_of_serialised_json_is_exact(tree: Any, ascii_only: bool, encoding: str) -> None:
    text = json.dumps(tree, ensure_ascii=ascii_only)
    assert json_depth(text) == depth(tree)
    assert json_depth(text.encode(encoding, "surrogatepass")) == depth(tree)


@given(st.integers(min_value=0, max_value=3 * MAX_DEPTH), st.sampled_from(["[", "{\"a\":"]), json_trees)
def test_deep_nesting_is_measured(levels: int, opener: str, leaf: Any) -> None:
    closer = "]" if opener == "[" else "}"
    text = opener * levels + json.dumps(leaf) + closer * levels
    assert json_depth(text) == levels + depth(leaf)
    assert too_deep(text) == (levels + depth(leaf) > MAX_DEPTH)


@given(st.binary(max_size=500))
def test_depth_never_raises_on_bytes(data: bytes) -> None:
    assert json_depth(data) >= 0


@given(st.one_of(st.binary(max_size=300), json_trees.map(lambda t: json.dumps(t).encode()),
                 st.integers(1, 5000).map(lambda n: b"[" * n + b"]" * n)))
def test_ok_body_is_an_object_or_bad_submission(body: bytes) -> None:
    if too_deep(body):
        return  # the webhook answers these before decode_body sees them (workers/channels/ok/webhook.py)
    try:
        data = decode_body(body)
    except BadSubmission:
        return
    assert isinstance(data, dict)
