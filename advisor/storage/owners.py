"""Whose a conversation is. Every conversation has an owner: "local" (the CLI, and a web app or API without a
login), a web login ("web:" and a keyed hash of the user name), or an API token ("token:" and a keyed hash of the
token; the token itself is never stored). The key is a random secret in the advisor's home (`owner.key`, 0600,
made on first use); every worker that shares a store must share that file.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import stat
import threading
from pathlib import Path

from advisor.errors import ServiceError

LOCAL = "local"
KEY_FILE = "owner.key"
_lock = threading.Lock()
_keys: dict[Path, bytes] = {}


def owner_key(home: Path) -> bytes:
    """The secret that keys owner hashes: read from HOME/owner.key, or made there (0600, never through a link)."""
    path = Path(home) / KEY_FILE
    with _lock:
        if path in _keys:
            return _keys[path]
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
        except FileExistsError:
            key = _read_key(path)
        except OSError as exc:
            raise ServiceError(f"Cannot create the owner key {path}: {exc.strerror or exc}. Check that ADVISOR_HOME "
                               "is a folder you can write to.") from exc
        else:
            key = secrets.token_bytes(32)
            with os.fdopen(fd, "wb") as out:
                out.write(key.hex().encode())
        _keys[path] = key
        return key


def _read_key(path: Path) -> bytes:
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    except OSError as exc:
        raise ServiceError(f"Cannot read the owner key {path}: {exc.strerror or exc}. It must be a file, not a link."
                           ) from exc
    with os.fdopen(fd, "rb") as f:
        info = os.fstat(f.fileno())
        raw = f.read().strip()
    if stat.S_IMODE(info.st_mode) & 0o077:
        os.chmod(path, 0o600, follow_symlinks=False)
    try:
        key = bytes.fromhex(raw.decode())
    except ValueError:
        key = b""
    if len(key) < 16:
        raise ServiceError(f"The owner key {path} is damaged (it must hold 32 random bytes as hex). Restore it from "
                           "a backup: without it, logged-in users and API tokens no longer reach their conversations.")
    return key


def _digest(key: bytes, *parts: str) -> str:
    return hmac.new(key, "\0".join(parts).encode(), hashlib.sha256).hexdigest()[:40]


class Owners:
    """Turns credentials into owner ids with the home's key; the credentials themselves are never kept."""

    def __init__(self, home: Path) -> None:
        self.home = Path(home)

    def _key(self) -> bytes:
        return owner_key(self.home)

    def token(self, token: str) -> str:
        """The owner of everything sent with an API token (also a web login made with that token)."""
        return "token:" + _digest(self._key(), "token", token)

    def web_user(self, user: str) -> str:
        """The owner of a web login's conversations."""
        return "web:" + _digest(self._key(), "web", user)

    def api_user(self, owner: str, user: str) -> str:
        """The session an API request's `user` field names: a keyed hash within its owner's namespace, so
        knowing someone's e-mail address reaches nothing."""
        return "user-" + _digest(self._key(), "user", owner, user)[:32]
