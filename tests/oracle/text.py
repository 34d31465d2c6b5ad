"""Oracle text rules of SPEC §6: white space, emoji, character counts, forbidden words."""

from __future__ import annotations

import regex

#: SPEC §6, verbatim.
EMOJI = regex.compile(
    r"\p{Extended_Pictographic}(?:\uFE0F|[\U0001F3FB-\U0001F3FF]|\u200D\p{Extended_Pictographic})*"
    r"|[\U0001F1E6-\U0001F1FF]{2}"
)
WHITE_SPACE = regex.compile(r"\p{White_Space}")


def strip_ws(text: str) -> str:
    """Remove every code point with the Unicode White_Space property."""
    return WHITE_SPACE.sub("", text)


def emoji_matches(text: str) -> list[str]:
    """Emoji found left to right after white space is removed."""
    return [m.group(0) for m in EMOJI.finditer(strip_ws(text))]


def char_count(text: str) -> int:
    """Code points after removing white space, with each emoji counted as one character."""
    stripped = strip_ws(text)
    return len(stripped) - sum(len(e) - 1 for e in emoji_matches(text))


def forbidden_occurrences(text: str, words: list[str]) -> int:
    """Non-overlapping occurrences of each word after case folding, words counted separately."""
    folded = text.casefold()
    return sum(folded.count(w.casefold()) for w in words if w)
