"""Automatic QA (SPEC §6): every rule, score floor, open sessions, configuration."""

from datetime import timedelta

from domain.qa_rules import QaRules
from services.scoring.core import QaResult
from tests.scoring.scoring_builders import FAR, agent, buyer, day_parts, derive, t

T0 = t("2026-11-11 10:00:00")


def at(seconds: float):  # type: ignore[no-untyped-def]
    return T0 + timedelta(seconds=seconds)


def qa(*events, rules=None) -> QaResult:  # type: ignore[no-untyped-def]
    f = derive(list(events), FAR, rules=rules)
    (session,) = f.sessions
    assert session.qa is not None
    return session.qa


def rules_of(result: QaResult) -> dict[str, int]:
    return {r: result.count(r) for r in {v.rule for v in result.violations}}


def test_clean_session_scores_100() -> None:
    assert qa(buyer(at(0)), agent(at(10))) == QaResult(100, ())


def test_buyers_closing_thanks_costs_closing_and_unanswered() -> None:
    # 谢谢 directly follows the agent -> a question, unanswered (-5); the session's last
    # message is the buyer's (-5) -> 90.
    r = qa(buyer(at(0)), agent(at(10)), buyer(at(20), text="谢谢"))
    assert (r.score, rules_of(r)) == (90, {"closing_by_agent": 1, "unanswered": 1})


def test_min_reply_length_per_text_message_counting_emoji_as_one() -> None:
    # "好的" = 2 chars (-2); "好 的 的 的 的" = 5 chars after removing spaces (ok);
    # "好的👍🏽👍🏽👍🏽" = 2 + 3 emoji = 5 (ok); "嗯" (-2); an image with empty text is not
    # checked (msg_type text only). 100 - 4 = 96.
    r = qa(
        buyer(at(0)),
        agent(at(1)),
        agent(at(2), text="好的"),
        agent(at(3), text="好 的 的 的 的"),
        agent(at(4), text="好的👍🏽👍🏽👍🏽"),
        agent(at(5), text="嗯"),
        agent(at(6), text="", msg_type="image"),
    )
    assert (r.score, rules_of(r)) == (96, {"min_reply_length": 2})


def test_min_emojis_counts_text_emoji_and_emoji_messages() -> None:
    # "您好亲😀" has 1; an `emoji` message "[微笑]" adds 1 -> 2 < 3 -> -3 -> 97.
    r = qa(
        buyer(at(0)),
        agent(at(1), text="您好亲😀好的"),
        agent(at(2), text="[微笑]", msg_type="emoji"),
    )
    assert (r.score, rules_of(r)) == (97, {"min_emojis": 1})
    assert r.violations[0].message_event_id is None  # a session-level rule
    # "您好亲😀😀好" (2) + emoji message whose text is "😀" (1 + 1) = 4 -> ok.
    ok = qa(
        buyer(at(0)), agent(at(1), text="您好亲😀😀好"), agent(at(2), text="😀", msg_type="emoji")
    )
    assert ok.score == 100


def test_greeting_checks_the_first_agent_message_of_any_type() -> None:
    # First agent message is an image with empty text -> no greeting (-3), even though the
    # second says 您好; the empty image is not a text message, so no min_reply_length.
    r = qa(buyer(at(0)), agent(at(1), text="", msg_type="image"), agent(at(2)))
    assert (r.score, rules_of(r)) == (97, {"greeting": 1})
    # An item_link whose text holds 亲 greets.
    ok = qa(buyer(at(0)), agent(at(1), text="亲，看看这个", msg_type="item_link"), agent(at(2)))
    assert ok.score == 100


def test_slow_reply_per_response() -> None:
    # Q1 answered in 31 s (slow, -2), Q2 in exactly 30 s (not slow), Q3 in 45 s (-2) -> 96.
    r = qa(buyer(at(0)), agent(at(31)), buyer(at(40)), agent(at(70)), buyer(at(80)), agent(at(125)))
    assert (r.score, rules_of(r)) == (96, {"slow_reply": 2})
    f = derive([buyer(at(0)), agent(at(31)), buyer(at(40)), agent(at(70))], FAR)
    p = day_parts(f, "A", "2026-11-11")
    assert (p.slow_responses, p.v_slow_reply) == (1, 1)


def test_unanswered_session_is_judged_by_unanswered_and_closing_only() -> None:
    # Nobody answered: one question (the second buyer message follows a buyer message)
    # -> unanswered 5 + closing 5 = 90; greeting and min_emojis do not apply.
    r = qa(buyer(at(0)), buyer(at(10)))
    assert (r.score, rules_of(r)) == (90, {"unanswered": 1, "closing_by_agent": 1})


def test_forbidden_words_each_occurrence_each_word() -> None:
    # "不知道，自己看吧，我也不知道" -> 不知道 x2, 自己看 x1 = 3 occurrences, -30 -> 70.
    r = qa(buyer(at(0)), agent(at(1)), agent(at(2), text="不知道，自己看吧，我也不知道😀"))
    assert (r.score, rules_of(r)) == (70, {"forbidden_words": 3})
    assert all(v.notify for v in r.violations)
    # 滚筒洗衣机 contains 滚 (plain substring) -> 1.
    r = qa(buyer(at(0)), agent(at(1)), agent(at(2), text="滚筒洗衣机有货的"))
    assert rules_of(r) == {"forbidden_words": 1}


def test_forbidden_words_case_folded_and_non_overlapping() -> None:
    # Shop list ["SB", "哈哈"]: "sb Sb" -> SB x2; "哈哈哈" -> 哈哈 x1 (non-overlapping).
    rules = QaRules.from_dict({"forbidden_words": {"params": {"words": ["SB", "哈哈"]}}})
    r = qa(buyer(at(0)), agent(at(1)), agent(at(2), text="sb Sb 哈哈哈 好的好的"), rules=rules)
    assert {(v.detail, v.count) for v in r.violations} == {("sb", 2), ("哈哈", 1)}
    assert r.score == 70
    # Case folding, not lower(): "STRASSE" matches the word "straße".
    rules = QaRules.from_dict({"forbidden_words": {"params": {"words": ["straße"]}}})
    assert qa(buyer(at(0)), agent(at(1)), agent(at(2), text="STRASSE好的"), rules=rules).score == 90


def test_score_floors_at_zero() -> None:
    r = qa(buyer(at(0)), agent(at(1), text="滚滚滚滚滚滚滚滚滚滚滚"))
    assert r.score == 0 and r.count("forbidden_words") == 11


def test_disabled_rules_and_custom_penalties() -> None:
    rules = QaRules.from_dict(
        {"closing_by_agent": {"enabled": False}, "unanswered": {"penalty": 7}}
    )
    r = qa(buyer(at(0)), buyer(at(10)), rules=rules)
    assert (r.score, rules_of(r)) == (93, {"unanswered": 1})


def test_open_sessions_are_counted_but_not_scored() -> None:
    f = derive([buyer(at(0)), agent(at(60), text="好")])  # watermark = last message
    p = day_parts(f, "A", "2026-11-11")
    assert (p.sessions, p.qa_sessions, p.v_slow_reply, p.v_min_reply_length) == (1, 0, 0, 0)
    assert f.sessions[0].qa is None and p.slow_responses == 1
