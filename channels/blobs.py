"""Content-addressed blob store (claim-check): raw originals, attachments and scans, stored once.

Keys are `sha256:<hex>`. Events and stream messages carry keys, never bytes. The default store is
a directory (under the data directory, or a volume shared by every gateway process); a write is
complete (fsynced and renamed into place) before its key is handed on, so a key that reached
JetStream always names a blob that survives a crash.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from pathlib import Path
from typing import Protocol

KEY_PATTERN = re.compile(r"^sha256:[0-9a-f]{64}$")


class BlobNotFound(KeyError):
    pass


def blob_key(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def check_key(key: str) -> str:
    if not KEY_PATTERN.match(key):
        raise ValueError(f"not a blob key: {key!r}")
    return key


class BlobStore(Protocol):
    def put(self, data: bytes) -> str: ...

    def get(self, key: str) -> bytes: ...

    def exists(self, key: str) -> bool: ...


class FileBlobStore:
    """Blobs as files `<root>/ab/cd/<hex>`; idempotent writes (same bytes, same key, one file)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def path_of(self, key: str) -> Path:
        digest = check_key(key).removeprefix("sha256:")
        return self.root / digest[:2] / digest[2:4] / digest

    def put(self, data: bytes) -> str:
        key = blob_key(data)
        path = self.path_of(key)
        if path.exists():
            return key
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        _fsync_dir(path.parent)
        return key

    def get(self, key: str) -> bytes:
        try:
            return self.path_of(key).read_bytes()
        except FileNotFoundError:
            raise BlobNotFound(key) from None

    def exists(self, key: str) -> bool:
        return self.path_of(key).exists()


class MemoryBlobStore:
    """For tools and tests that must not touch the disk (`complaints normalize FILE.eml`)."""

    def __init__(self) -> None:
        self.blobs: dict[str, bytes] = {}

    def put(self, data: bytes) -> str:
        key = blob_key(data)
        self.blobs.setdefault(key, data)
        return key

    def get(self, key: str) -> bytes:
        try:
            return self.blobs[check_key(key)]
        except KeyError:
            raise BlobNotFound(key) from None

    def exists(self, key: str) -> bool:
        return key in self.blobs


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
