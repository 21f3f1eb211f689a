"""Content-addressed blob store (claim-check): raw originals, attachments and scans, stored once.

Keys are `sha256:<hex>`. Events and stream messages carry keys, never bytes. The default store is
a directory (under the data directory, or a volume shared by every gateway process); a write is
complete (fsynced and renamed into place) before its key is handed on, so a key that reached
JetStream always names a blob that survives a crash.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import secrets
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
    """Blobs as files `<root>/ab/cd/<hex>`; idempotent writes (same bytes, same key, one file).

    Paths are plain strings and the writes plain os calls: every mail the intake takes and the normalizer
    reads passes here, and pathlib objects, tempfile's name generator and a buffered file object cost
    more CPU than the write itself.
    """

    def __init__(self, root: Path) -> None:
        self.root = root
        self._root = os.fspath(root)

    def path_of(self, key: str) -> Path:
        return Path(self._path(key))

    def _path(self, key: str) -> str:
        digest = check_key(key).removeprefix("sha256:")
        return os.path.join(self._root, digest[:2], digest[2:4], digest)

    def put(self, data: bytes) -> str:
        key = blob_key(data)
        path = self._path(key)
        if os.path.exists(path):
            return key
        directory = os.path.dirname(path)
        tmp = os.path.join(directory, f".tmp-{secrets.token_hex(8)}")
        try:
            fd = os.open(tmp, _NEW_FILE, 0o600)
        except FileNotFoundError:  # the first blob of its directory
            os.makedirs(directory, exist_ok=True)
            fd = os.open(tmp, _NEW_FILE, 0o600)
        try:
            try:
                _write_all(fd, data)
                os.fsync(fd)
            finally:
                os.close(fd)
            os.replace(tmp, path)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
            raise
        _fsync_dir(directory)
        return key

    def get(self, key: str) -> bytes:
        try:
            with open(self._path(key), "rb") as handle:
                return handle.read()
        except FileNotFoundError:
            raise BlobNotFound(key) from None

    def exists(self, key: str) -> bool:
        return os.path.exists(self._path(key))


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


# O_EXCL: a temporary name is never shared, even by two writers of the same bytes.
_NEW_FILE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)


def _write_all(fd: int, data: bytes) -> None:
    """os.write may write less than asked (a disk filling up): the rest, or the error that stops it."""
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def _fsync_dir(directory: str) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
