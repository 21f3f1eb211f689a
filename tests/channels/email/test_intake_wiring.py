"""`complaints up` starts an email child only with mailboxes; `complaints worker email` runs the intake."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys

from tests.channels.email.conftest import IntakeHarness, mail
from tests.channels.email.test_intake_flow import assert_handed_off, published, seen
from tests.support.dovecot import DovecotServer
from workers.app.orphans import die_with_parent
from workers.app.settings import Settings
from workers.channels.registry import intake_groups


def start_email_worker(env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-m", "workers.cli", "worker", "email"], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, preexec_fn=die_with_parent)


def test_email_process_only_when_mailboxes_are_configured(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    assert intake_groups(Settings()) == []
    mailbox = {"name": "claims", "host": "127.0.0.1", "username": "u", "password": "p"}
    monkeypatch.setenv("COMPLAINTS_EMAIL_MAILBOXES", json.dumps([mailbox]))
    assert intake_groups(Settings()) == [("email",)]


async def test_worker_email_command_runs_the_intake_and_stops_cleanly(
    dovecot: DovecotServer, harness: IntakeHarness, nats_url: str, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    mailbox = {"name": "claims", "host": dovecot.host, "port": dovecot.port, "ssl": False, "username": "claims",
               "password": dovecot.users["claims"]}
    env = dict(os.environ, NATS_URL=nats_url, COMPLAINTS_DATA_DIR=str(tmp_path / "var"),
               COMPLAINTS_BLOB_DIR=str(harness.blobs.root), COMPLAINTS_EMAIL_MAILBOXES=json.dumps([mailbox]))
    worker = start_email_worker(env)
    try:
        raw_mail = mail(subject="через процесс")
        uid = await dovecot.append_async(raw_mail)
        await published(harness, 1)
        await assert_handed_off(harness, dovecot, raw_mail, uid)
        await seen(dovecot, [uid])
        worker.send_signal(signal.SIGTERM)
        output, _ = await asyncio.to_thread(worker.communicate, timeout=30)
        assert worker.returncode == 0, output.decode(errors="replace")[-2000:]
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()
