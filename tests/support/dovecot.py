"""A throwaway dovecot IMAP server for the tests: static users, maildir in a temp dir, loopback, no TLS.

Non-root: everything runs as the current user. As root (CI, containers) dovecot refuses to hand
mail access to root, so mail processes run as the `dovecot` system user and logins as `dovenull`
(both created by the Debian package), and the temp dirs are chowned to them.
"""

from __future__ import annotations

import asyncio
import contextlib
import grp
import imaplib
import os
import pwd
import shutil
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from tests.support.postgres import free_port

DOVECOT = "/usr/sbin/dovecot"
READY_LINE = "starting up for imap"


def dovecot_binary() -> str:
    found = DOVECOT if os.access(DOVECOT, os.X_OK) else shutil.which("dovecot")
    if not found:
        raise FileNotFoundError("dovecot not found: install dovecot-imapd (scripts/bootstrap --test)")
    return found


@dataclass
class DovecotServer:
    """A running dovecot; `users` maps login -> password."""

    base: Path
    port: int
    users: dict[str, str] = field(default_factory=lambda: {"claims": "secret", "sales": "secret2", "other": "secret3"})
    host: str = "127.0.0.1"
    # Override the post-login CAPABILITY (e.g. without IDLE or MOVE) to test the client's fallbacks.
    capabilities: str | None = None
    process: subprocess.Popen[bytes] | None = None

    @property
    def log_path(self) -> Path:
        return self.base / "dovecot.log"

    @property
    def _mail_user(self) -> tuple[str, str]:
        if os.geteuid() == 0:
            return "dovecot", grp.getgrgid(pwd.getpwnam("dovecot").pw_gid).gr_name
        return pwd.getpwuid(os.geteuid()).pw_name, grp.getgrgid(os.getegid()).gr_name

    @property
    def _login_user(self) -> str:
        return "dovenull" if os.geteuid() == 0 else self._mail_user[0]

    def _write_config(self) -> Path:
        user, group = self._mail_user
        uid, gid = pwd.getpwnam(user).pw_uid, grp.getgrnam(group).gr_gid
        mail = self.base / "mail"
        for directory in (self.base / "run", self.base / "state", mail):
            directory.mkdir(parents=True, exist_ok=True)
        self.base.chmod(0o755)
        if os.geteuid() == 0:
            shutil.chown(mail, user, group)
        passwd = self.base / "passwd"
        passwd.write_text("".join(f"{name}:{{PLAIN}}{password}::::::\n" for name, password in self.users.items()))
        passwd.chmod(0o644)
        conf = self.base / "dovecot.conf"
        conf.write_text(f"""
protocols = imap
shutdown_clients = yes
listen = {self.host}
base_dir = {self.base}/run
state_dir = {self.base}/state
log_path = {self.log_path}
info_log_path = {self.log_path}
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
default_internal_user = {user}
default_internal_group = {group}
default_login_user = {self._login_user}
first_valid_uid = {min(uid, 1) if uid else 0}
first_valid_gid = 0
mail_location = maildir:{mail}/%u
mail_fsync = never
namespace inbox {{
  inbox = yes
  separator = /
}}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {passwd}
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={mail}/%u
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = {self.host}
    port = {self.port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service anvil {{
  chroot =
}}
service stats {{
  unix_listener stats-reader {{
    mode = 0666
  }}
  unix_listener stats-writer {{
    mode = 0666
  }}
}}
protocol imap {{
  mail_max_userip_connections = 100
{f"  imap_capability = {self.capabilities}" if self.capabilities else ""}
}}
""")
        return conf

    def start(self, timeout: float = 20.0) -> None:
        conf = self._write_config()
        offset = self.log_path.stat().st_size if self.log_path.exists() else 0
        self.process = subprocess.Popen([dovecot_binary(), "-F", "-c", str(conf)], stdout=subprocess.DEVNULL,
                                        stderr=subprocess.PIPE, start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                err = self.process.stderr.read().decode(errors="replace") if self.process.stderr else ""
                raise RuntimeError(f"dovecot exited with {self.process.returncode}: {err}\n{self._log_tail()}")
            if self.log_path.exists():
                with self.log_path.open("rb") as handle:
                    handle.seek(offset)
                    if READY_LINE.encode() in handle.read():
                        self._wait_listening(deadline)
                        return
            time.sleep(0.05)
        self.stop()
        raise TimeoutError(f"dovecot did not start in {timeout}s\n{self._log_tail()}")

    def _wait_listening(self, deadline: float) -> None:
        while time.monotonic() < deadline:
            try:
                imaplib.IMAP4(self.host, self.port, timeout=2).logout()
                return
            except OSError:
                time.sleep(0.05)
        raise TimeoutError("dovecot logged start-up but does not accept connections")

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        # imap processes may outlive the master: end every one of its process group (ours alone).
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)

    def restart(self) -> None:
        self.stop()
        self.start()

    def cleanup(self) -> None:
        self.stop()
        shutil.rmtree(self.base, ignore_errors=True)

    def _log_tail(self, chars: int = 3000) -> str:
        return self.log_path.read_text(errors="replace")[-chars:] if self.log_path.exists() else "(no log)"

    # --- the test side: a plain imaplib client (a different code path from the intake's aioimaplib)

    def connect(self, user: str = "claims") -> imaplib.IMAP4:
        client = imaplib.IMAP4(self.host, self.port, timeout=10)
        client.login(user, self.users[user])
        return client

    def append(self, raw: bytes, user: str = "claims", folder: str = "INBOX", flags: str = "",
               arrived: datetime | None = None) -> int:
        """APPEND one mail (with its server arrival time, INTERNALDATE, if given); returns its UID (dovecot
        answers APPENDUID)."""
        client = self.connect(user)
        try:
            return _append(client, raw, folder, flags, arrived)
        finally:
            client.logout()

    def append_many(self, mails: list[bytes], user: str = "claims", folder: str = "INBOX") -> list[int]:
        client = self.connect(user)
        try:
            return [_append(client, raw, folder, "") for raw in mails]
        finally:
            client.logout()

    async def append_async(self, raw: bytes, user: str = "claims", folder: str = "INBOX") -> int:
        return await asyncio.to_thread(self.append, raw, user, folder)

    def uids(self, user: str = "claims", folder: str = "INBOX", criteria: str = "ALL") -> list[int]:
        client = self.connect(user)
        try:
            status, _ = client.select(_quote(folder), readonly=True)
            if status != "OK":
                return []
            _, data = client.uid("SEARCH", criteria)
            return [int(uid) for uid in (data[0] or b"").split()]
        finally:
            client.logout()

    def seen_uids(self, user: str = "claims", folder: str = "INBOX") -> list[int]:
        return self.uids(user, folder, "SEEN")

    def uidvalidity(self, user: str = "claims", folder: str = "INBOX") -> int:
        client = self.connect(user)
        try:
            _, data = client.status(_quote(folder), "(UIDVALIDITY)")
            return int(data[0].split(b"UIDVALIDITY")[1].strip(b" ()"))
        finally:
            client.logout()

    def create_folder(self, folder: str, user: str = "claims") -> None:
        client = self.connect(user)
        try:
            client.create(_quote(folder))
        finally:
            client.logout()

    def delete_folder(self, folder: str, user: str = "claims") -> None:
        client = self.connect(user)
        try:
            client.delete(_quote(folder))
        finally:
            client.logout()


def _quote(folder: str) -> str:
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _append(client: imaplib.IMAP4, raw: bytes, folder: str, flags: str, arrived: datetime | None = None) -> int:
    date_time = imaplib.Time2Internaldate(arrived) if arrived is not None else None
    status, data = client.append(_quote(folder), f"({flags})" if flags else None, date_time, raw)
    if status != "OK":
        raise RuntimeError(f"APPEND failed: {data!r}")
    # OK [APPENDUID <uidvalidity> <uid>] Append completed.
    text = (data[0] or b"").decode()
    return int(text.split("APPENDUID", 1)[1].split("]", 1)[0].split()[1])


def start_dovecot(users: dict[str, str] | None = None, capabilities: str | None = None) -> DovecotServer:
    base = Path(tempfile.mkdtemp(prefix="dovecot-"))
    server = DovecotServer(base, free_port(), capabilities=capabilities)
    if users is not None:
        server.users = users
    try:
        server.start()
    except BaseException:
        server.cleanup()
        raise
    return server
