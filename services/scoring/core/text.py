"""Character and emoji counting for QA (SPEC §6).

Both counts are pure functions of the text, memoised: a buyer is re-derived from its whole
history on every new event, so the same agent messages are measured again and again (and
shops' canned replies repeat across buyers).
"""

from __future__ import annotations

from functools import lru_cache

import regex

from .emoji import find_emojis

# The Unicode White_Space property: includes U+3000 and U+00A0, excludes U+200B (a
# format character, not white space) -- exactly what SPEC §6 asks for.
WHITE_SPACE = regex.compile(r"\p{White_Space}+")

_CACHED_TEXTS = 1 << 16


def strip_white_space(text: str) -> str:
    return WHITE_SPACE.sub("", text)


@lru_cache(maxsize=_CACHED_TEXTS)
def text_measures(text: str) -> tuple[int, int]:
    """(characters, emoji) of a text, both as SPEC §6 counts them (see below)."""
    stripped = strip_white_space(text)
    emojis = find_emojis(stripped)
    extra = sum(len(e) - 1 for e in emojis)
    return len(stripped) - extra, len(emojis)


def count_emojis(text: str) -> int:
    """Number of emoji in a text, matched after white space is removed."""
    return text_measures(text)[1]


def char_count(text: str) -> int:
    """Code points after removing white space, with every emoji counted as one character.

    A multi-code-point emoji (ZWJ family, skin tone, flag, ❤️) contributes 1 instead of
    its length in code points.
    """
    return text_measures(text)[0]
