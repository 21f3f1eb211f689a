"""A throwaway PostgreSQL server for the tests: initdb into a temp dir, pg_ctl start on a free port.

PostgreSQL refuses to run as root, so as root the server runs as the `postgres` system user.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path


def _bin(name: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}")) or [shutil.which(name) or ""]
    if not found[-1]:
        raise FileNotFoundError(f"{name} not found: install the postgresql package")
    return found[-1]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class PostgresServer:
    base: Path
    port: int

    @property
    def _as_user(self) -> list[str]:
        return ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []

    def start(self) -> None:
        data = self.base / "data"
        self.base.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            shutil.chown(self.base, "postgres", "postgres")
        subprocess.run(
            [*self._as_user, _bin("initdb"), "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8",
             "--locale=C.UTF-8"],
            check=True, capture_output=True,
        )
        subprocess.run(
            [*self._as_user, _bin("pg_ctl"), "-D", str(data), "-l", str(self.base / "pg.log"), "-w", "start",
             "-o", f"-h 127.0.0.1 -p {self.port} -k {self.base} -c fsync=off -c max_connections=200"],
            check=True, capture_output=True,
        )

    def stop(self) -> None:
        subprocess.run(
            [*self._as_user, _bin("pg_ctl"), "-D", str(self.base / "data"), "-m", "immediate", "stop"],
            check=False, capture_output=True,
        )
        shutil.rmtree(self.base, ignore_errors=True)

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str) -> str:
        subprocess.run(
            [_bin("psql"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "-c",
             f'CREATE DATABASE "{name}"'],
            check=True, capture_output=True,
        )
        return self.url(name)


def start_postgres() -> PostgresServer:
    server = PostgresServer(Path(tempfile.mkdtemp(prefix="complaints-pg-")), free_port())
    server.start()
    return server
