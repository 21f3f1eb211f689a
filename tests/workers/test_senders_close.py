"""Senders.aclose: the deliver worker's stop closes every platform sender's kept client, each even when another
sender's close fails; senders that keep nothing are left alone."""

from __future__ import annotations

from typing import Any

import pytest

from workers.channels.senders.selection import Senders


class Kept:
    channel = "kept"
    resend_safe = True

    def __init__(self, fails: bool = False) -> None:
        self.fails = fails
        self.closed = 0

    async def aclose(self) -> None:
        self.closed += 1
        if self.fails:
            raise OSError("the session would not close")


class KeepsNothing:
    channel = "plain"
    resend_safe = True


async def test_every_sender_is_closed_even_after_one_fails(caplog: pytest.LogCaptureFixture) -> None:
    first, failing, last = Kept(), Kept(fails=True), Kept()
    platform: dict[str, Any] = {"vk": first, "telegram": failing, "plain": KeepsNothing(), "ok": last}
    await Senders(platform).aclose()
    assert (first.closed, failing.closed, last.closed) == (1, 1, 1)
    assert "closing the telegram sender failed" in caplog.text
