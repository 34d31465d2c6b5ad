"""Character and emoji counting for QA (SPEC §6)."""

from __future__ import annotations

import regex

from .emoji import find_emojis

# The Unicode White_Space property: includes U+3000 and U+00A0, excludes U+200B (a
# format character, not white space) -- exactly what SPEC §6 asks for.
WHITE_SPACE = regex.compile(r"\p{White_Space}+")


def strip_white_space(text: str) -> str:
    return WHITE_SPACE.sub("", text)


def count_emojis(text: str) -> int:
    """Number of emoji in a text, matched after white space is removed."""
    return len(find_emojis(strip_white_space(text)))


def char_count(text: str) -> int:
    """Code points after removing white space, with every emoji counted as one character.

    A multi-code-point emoji (ZWJ family, skin tone, flag, ❤️) contributes 1 instead of
    its length in code points.
    """
    stripped = strip_white_space(text)
    extra = sum(len(e) - 1 for e in find_emojis(stripped))
    return len(stripped) - extra
