"""Every page carries a strict Content-Security-Policy, X-Frame-Options, Referrer-Policy and nosniff; the
templates hold no inline script or style that the policy would block."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest

from tests.web.conftest import login
from tests.web.factories import add_staff
from workers.app.runtime import Database

EXPECTED = {
    "content-security-policy": "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
                               "frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
    "x-frame-options": "DENY",
    "referrer-policy": "same-origin",
    "x-content-type-options": "nosniff",
}
TEMPLATES = Path(__file__).parents[2] / "workers" / "web" / "templates"


def assert_headers(response: httpx.Response) -> None:
    for name, value in EXPECTED.items():
        assert response.headers.get(name) == value, name


async def test_the_login_page(web: httpx.AsyncClient) -> None:
    page = await web.get("/login")
    assert page.status_code == 200
    assert_headers(page)


@pytest.mark.parametrize("path", ["/", "/phone", "/quarantine", "/no/such/page"])
async def test_staff_pages(web: httpx.AsyncClient, database: Database, path: str) -> None:
    await add_staff(database, "admin1", role="admin", department="it")
    await login(web, "admin1")
    page = await web.get(path)
    assert page.status_code in (200, 404)
    assert_headers(page)


async def test_redirects_and_static_files(web: httpx.AsyncClient) -> None:
    assert_headers(await web.get("/"))  # the redirect to /login
    assert_headers(await web.get("/static/style.css"))


def test_templates_have_no_inline_script_or_style() -> None:
    inline = re.compile(r"<script(?![^>]*\bsrc=)|<style|\sstyle=|\son[a-z]+=|javascript:", re.IGNORECASE)
    found = [f"{path.name}: {m.group(0)}"
             for path in TEMPLATES.glob("*.html") for m in inline.finditer(path.read_text())]
    assert found == []
