"""The HMAC key twins (security.mac): RFC vectors, and both twins agree on any input.

Vectors: RFC 2202 (HMAC-MD5, HMAC-SHA-1) and RFC 4231 (HMAC-SHA-224/256/384/512),
test cases 1, 2 and 6 (a key longer than the block); USM truncates to the protocol's
MAC length, so a key made with a shorter ``mac_length`` signs with the prefix.
"""

from __future__ import annotations

import os

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from snmptrapmgr.security import _mac_py, mac

VECTORS = [
    ("md5", b"\x0b" * 16, b"Hi There", "9294727a3638bb1c13f48ef8158bfc9d"),
    ("md5", b"Jefe", b"what do ya want for nothing?", "750c783e6ab0b503eaa86e310a5db738"),
    ("md5", b"\xaa" * 80, b"Test Using Larger Than Block-Size Key - Hash Key First",
     "6b1ab7fe4bd7bf8f0b62e6ce61b9d0cd"),
    ("sha1", b"\x0b" * 20, b"Hi There", "b617318655057264e28bc0b6fb378c8ef146be00"),
    ("sha1", b"Jefe", b"what do ya want for nothing?", "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79"),
    ("sha1", b"\xaa" * 80, b"Test Using Larger Than Block-Size Key - Hash Key First",
     "aa4ae5e15272d00e95705637ce8a3b55ed402112"),
    ("sha224", b"\x0b" * 20, b"Hi There", "896fb1128abbdf196832107cd49df33f47b4b1169912ba4f53684b22"),
    ("sha256", b"\x0b" * 20, b"Hi There",
     "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"),
    ("sha256", b"Jefe", b"what do ya want for nothing?",
     "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"),
    ("sha256", b"\xaa" * 131, b"Test Using Larger Than Block-Size Key - Hash Key First",
     "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"),
    ("sha384", b"\x0b" * 20, b"Hi There",
     "afd03944d84895626b0825f4ab46907f15f9dadbe4101ec682aa034c7cebc59cfaea9ea9076ede7f4af152e8b2fa9cb6"),
    ("sha512", b"\x0b" * 20, b"Hi There",
     "87aa7cdea5ef619d4ff0b4241a1d6cb02379f4e2ce4ec2787ad0b30545e17cdedaa833b7d6b8a702038b274eaea3f4e4"
     "be9d914eeb61f1702e696c203a126854"),
    ("sha512", b"\xaa" * 131, b"Test Using Larger Than Block-Size Key - Hash Key First",
     "80b24263c7c1a3ebb71493c1dd7be8b49b46d1f41b4aeec1121b013783f8f3526b56d037e05f2598bd0fd2215d6a1e52"
     "95e64f73f63f0aec8b915a985d786598"),
]
HASHES = sorted({v[0] for v in VECTORS})
DIGEST = {"md5": 16, "sha1": 20, "sha224": 28, "sha256": 32, "sha384": 48, "sha512": 64}


@pytest.mark.parametrize("hash_name, key, message, expected", VECTORS)
def test_rfc_vectors(impl, hash_name, key, message, expected):
    full = bytes.fromhex(expected)
    assert mac.MacKey(hash_name, key, len(full)).sign(message) == full
    assert mac.MacKey(hash_name, key, 12).sign(message) == full[:12]


def test_the_compiled_twin_is_native_here(impl):
    # CI builds the extensions next to a CPython whose hashlib uses libcrypto
    assert mac.NATIVE == (impl == "cython")


@pytest.mark.parametrize("bad", ["sha3_256", "SHA1", None, b"sha1"])
def test_an_unknown_hash_is_a_value_error_naming_it(impl, bad):
    with pytest.raises(ValueError, match="unknown hash"):
        mac.MacKey(bad, b"k", 12)


def _compiled():
    """The compiled twin; its absence fails only where the build must have made it."""
    try:
        from snmptrapmgr.security import _mac_c
    except ImportError:
        if os.environ.get("SNMPTRAPMGR_REQUIRE_EXTENSIONS", "") not in ("", "0"):
            pytest.fail("the Cython extensions did not build (SNMPTRAPMGR_REQUIRE_EXTENSIONS=1)")
        pytest.skip("Cython extensions not built")
    return _mac_c


@settings(max_examples=300, deadline=None)
@given(hash_name=st.sampled_from(HASHES), key=st.binary(max_size=200), message=st.binary(max_size=600),
       mac_length=st.integers(1, 72), data=st.data())
def test_twins_agree_on_sign_and_verify(hash_name, key, message, mac_length, data):
    compiled = _compiled().MacKey(hash_name, key, mac_length)
    plain = _mac_py.MacKey(hash_name, key, mac_length)
    assert compiled.sign(message) == plain.sign(message)
    assert compiled.mac_length == plain.mac_length == mac_length
    n = min(mac_length, DIGEST[hash_name])
    offset = data.draw(st.integers(-2, len(message) + 2))
    zeroed = message[:max(offset, 0)] + bytes(n) + message[max(offset, 0) + n:]
    good = plain.sign(zeroed)[:n]
    placed = zeroed[:max(offset, 0)] + good + zeroed[max(offset, 0) + n:]
    flipped = data.draw(st.integers(0, max(n - 1, 0)))
    for candidate in (good, bytes([good[flipped] ^ 1]) + good[1:] if flipped == 0 else
                      good[:flipped] + bytes([good[flipped] ^ 1]) + good[flipped + 1:], good[:-1]):
        for at in (offset, offset + 1):
            assert compiled.verify(placed, at, candidate) == plain.verify(placed, at, candidate)
    expected = 0 <= offset <= len(message) and mac_length <= DIGEST[hash_name]
    assert compiled.verify(placed, offset, good) == expected
