"""Keyed pseudonyms for sample ids."""

import hashlib
import hmac
import stat

import pytest

from robustmed.errors import RobustmedError
from robustmed.render.pseudonym import KEY_FILE, pseudonym_key, pseudonymise


def test_key_created_once_and_private(tmp_path):
    key = pseudonym_key(tmp_path)
    assert len(key) == 32
    assert pseudonym_key(tmp_path) == key
    assert stat.S_IMODE((tmp_path / KEY_FILE).stat().st_mode) == 0o600


def test_pseudonym_is_truncated_hmac():
    key = bytes(range(32))
    expected = "s-" + hmac.new(key, b"ad-0042", hashlib.sha256).hexdigest()[:12]
    assert pseudonymise(["ad-0042"], key) == [expected]


def test_pseudonyms_differ_between_keys(tmp_path):
    first = pseudonymise(["ad-0001", "ad-0002"], pseudonym_key(tmp_path / "a"))
    second = pseudonymise(["ad-0001", "ad-0002"], pseudonym_key(tmp_path / "b"))
    assert first[0] != first[1]
    assert set(first).isdisjoint(second)


def test_corrupt_key_rejected(tmp_path):
    (tmp_path / KEY_FILE).write_text("not hex")
    with pytest.raises(RobustmedError, match="delete it to create a new one"):
        pseudonym_key(tmp_path)
