"""oauthapps.ids makes every id in the formats they have always had (they are stored and sent):
the text of RFC 4122 UUIDs (version 4 and 7), version 4 as 32 hex digits, signing key ids and
plain random hex."""

from __future__ import annotations

import re
import uuid

from oauthapps import ids


def test_random_uuid_is_the_text_of_a_version_4_uuid() -> None:
    made = {ids.random_uuid() for _ in range(200)}
    assert len(made) == 200
    for text in made:
        parsed = uuid.UUID(text)
        assert str(parsed) == text and parsed.version == 4 and parsed.variant == uuid.RFC_4122


def test_random_uuid_hex_is_a_version_4_uuids_hex() -> None:
    made = {ids.random_uuid_hex() for _ in range(200)}
    assert len(made) == 200
    for text in made:
        parsed = uuid.UUID(hex=text)
        assert parsed.hex == text and parsed.version == 4 and parsed.variant == uuid.RFC_4122


def test_signing_key_id_is_the_first_half_of_a_version_4_uuids_hex() -> None:
    for _ in range(200):
        kid = ids.signing_key_id()
        assert re.fullmatch(r"[0-9a-f]{12}4[0-9a-f]{3}", kid)


def test_random_hex_has_two_digits_per_byte() -> None:
    assert re.fullmatch(r"[0-9a-f]{32}", ids.random_hex(16))
    assert re.fullmatch(r"[0-9a-f]{16}", ids.random_hex(8))
    assert len({ids.random_hex(16) for _ in range(200)}) == 200
