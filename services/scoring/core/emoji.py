"""The emoji definition of SPEC §6: exactly the SPEC's `regex` pattern, left to right."""

from __future__ import annotations

import regex

# Copied verbatim from SPEC §6. Not grapheme clusters: a keycap (1️⃣) holds no emoji
# because neither "1", U+FE0F nor U+20E3 is Extended_Pictographic; © and ™ are emoji.
EMOJI_PATTERN = regex.compile(
    r"\p{Extended_Pictographic}(?:\uFE0F|[\U0001F3FB-\U0001F3FF]|\u200D\p{Extended_Pictographic})*"
    r"|[\U0001F1E6-\U0001F1FF]{2}"
)


def find_emojis(stripped: str) -> list[str]:
    """Emoji in a text from which white space has already been removed.

    Callers strip first (text.strip_white_space) because the SPEC matches "after white
    space is removed": a skin tone separated by a space still joins its emoji.
    """
    return [m.group() for m in EMOJI_PATTERN.finditer(stripped)]
