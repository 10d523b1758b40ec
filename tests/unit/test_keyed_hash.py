"""One keyed hash for every lookup that must not store its value."""

from __future__ import annotations

import hashlib
import hmac

from keyuan.domain.keyed_hash import Hasher, keyed_hash


def test_keyed_hash_is_hmac_sha256_of_label_and_value() -> None:
    expected = hmac.new(b"k", b"mobile:13800138000", hashlib.sha256).hexdigest()
    assert keyed_hash(b"k", "mobile", "13800138000") == expected


def test_labels_keep_kinds_apart_and_the_secret_matters() -> None:
    hasher = Hasher("secret")
    assert hasher.mobile("110101199003077777") != hasher.id_number("110101199003077777")
    assert Hasher("other").mobile("13800138000") != hasher.mobile("13800138000")
    assert hasher.code("c1", "123456") != hasher.code("c2", "123456")
