"""Staff forms are capped while they stream, the login form included (reachable without credentials): a
declared Content-Length over the cap is refused before a byte is read, a chunked body past it is cut off;
the REST API and the webhooks keep their own caps."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx

from workers.web.body_cap import FORM_MAX_BYTES

CHUNK = 16 * 1024


async def test_a_login_form_over_the_cap_is_refused_before_it_is_read(web: httpx.AsyncClient) -> None:
    body = b"login=x&password=" + b"a" * (FORM_MAX_BYTES * 4)
    refused = await web.post("/login", content=body, headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert refused.status_code == 413 and "слишком большой" in refused.text
    assert "complaints_session" not in refused.cookies


async def test_a_chunked_body_is_cut_off_at_the_cap(web: httpx.AsyncClient) -> None:
    sent = 0

    async def endless() -> AsyncIterator[bytes]:
        nonlocal sent
        yield b"login=x&password="
        for _ in range(1000):  # 16 MB, if anyone read it all
            sent += CHUNK
            yield b"a" * CHUNK

    refused = await web.post("/login", content=endless(),
                             headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert refused.status_code == 413
    assert sent <= FORM_MAX_BYTES + 2 * CHUNK  # stopped near the cap, not after 16 MB


async def test_an_ordinary_form_and_the_api_are_not_affected(web: httpx.AsyncClient, api: httpx.AsyncClient) -> None:
    page = await web.get("/login")
    assert page.status_code == 200
    wrong = await web.post("/login", data={"login": "nobody", "password": "x", "csrf_token": "x", "next": "/"})
    assert wrong.status_code != 413
    # The REST API caps its JSON itself (256 KB): 100 KB is within it, answered by the API, not by this cap.
    big = await api.post("/api/v1/feedback", content=b'{"text": "' + b"x" * 100_000 + b'"}',
                         headers={"Idempotency-Key": "cap-1", "Content-Type": "application/json"})
    assert big.status_code != 413
