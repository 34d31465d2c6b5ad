"""Emoji and character counting (SPEC §6)."""

import pytest

from services.scoring.core import char_count, count_emojis


@pytest.mark.parametrize(
    ("text", "emojis", "chars"),
    [
        # ZWJ family: 7 code points, the pattern swallows every U+200D + pictograph -> 1 emoji.
        ("👨\u200d👩\u200d👧\u200d👦", 1, 1),
        # Skin-tone modifier follows the pictograph -> part of the same emoji.
        ("👍🏽", 1, 1),
        # Two regional indicators are one flag.
        ("🇨🇳", 1, 1),
        # Flag + a lone regional indicator: 1 emoji; chars = 3 code points - 1 = 2.
        ("🇨🇳🇺", 1, 2),
        # © and ™ are Extended_Pictographic -> 2 emoji, 2 chars.
        ("©™", 2, 2),
        # Keycap: "1", U+FE0F, U+20E3 -- none is Extended_Pictographic -> 0 emoji, 3 chars.
        ("1️⃣", 0, 3),
        # U+FE0F variation selector joins the heart.
        ("❤️", 1, 1),
        # White space incl. U+3000 and U+00A0 removed: a b c d -> 4 chars.
        ("a b\u3000c\u00a0d", 0, 4),
        # U+200B is not White_Space: a, U+200B, b -> 3 chars.
        ("a\u200bb", 0, 3),
        # Matched after white space removal: the modifier re-joins its emoji.
        ("👍 🏽", 1, 1),
        # 好的 + three 👍🏽 (each 2 code points, 1 char) = 2 + 3 = 5 chars.
        ("好的👍🏽👍🏽👍🏽", 3, 5),
    ],
)
def test_emoji_and_char_counts(text: str, emojis: int, chars: int) -> None:
    assert count_emojis(text) == emojis
    assert char_count(text) == chars
