"""Pseudonymised sample ids for reports: a keyed hash (HMAC-SHA256) with a per-run secret key.

Reports must never show raw sample or patient ids. A plain hash of an id can be
reversed by hashing every candidate id, so the hash is keyed: each output folder gets
a random 256-bit key in ``pseudonym.key`` (readable by its owner only), created on
first use. The same id keeps its pseudonym across re-renders of that folder and
differs between runs. Share ``report.html`` and the tables freely; keep the key file
to link pseudonyms back to ids.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from collections.abc import Iterable
from pathlib import Path

from robustmed.engine.store import atomic_write_bytes
from robustmed.errors import RobustmedError

KEY_FILE = "pseudonym.key"
KEY_BYTES = 32
# 12 hexadecimal digits (48 bits): collisions stay below one in a million for up to
# about 20,000 ids (birthday bound), far more samples than a report lists.
DIGITS = 12
PREFIX = "s-"


def pseudonym_key(root: str | Path) -> bytes:
    """Read the output folder's pseudonymisation key, creating it on first use.

    Raises
    ------
    RobustmedError
        If the key file exists but does not hold a key of the expected length.
    """
    path = Path(root) / KEY_FILE
    if not path.is_file():
        atomic_write_bytes(path, secrets.token_hex(KEY_BYTES).encode("ascii"))
        os.chmod(path, 0o600)
    text = path.read_text(encoding="ascii").strip()
    try:
        key = bytes.fromhex(text)
    except ValueError:
        key = b""
    if len(key) != KEY_BYTES:
        raise RobustmedError(
            f"{path} does not hold a {KEY_BYTES}-byte hexadecimal key; delete it to create a new one "
            "(pseudonyms in earlier reports of this folder will then change)."
        )
    return key


def pseudonymise(ids: Iterable[object], key: bytes) -> list[str]:
    """Map raw ids to pseudonyms ``s-`` + 12 hexadecimal digits of HMAC-SHA256(key, id)."""
    return [
        PREFIX + hmac.new(key, str(raw).encode("utf-8"), hashlib.sha256).hexdigest()[:DIGITS]
        for raw in ids
    ]
